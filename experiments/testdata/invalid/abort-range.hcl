experiment "range" {
  baseline = "20s"
  fault    = "10s"
  recovery = "10s"
  window   = "2s"
}

abort {
  outlier_fraction = 1.5 # ERROR: Value out of range
  error_rat        = 0.2 # ERROR: Unsupported argument
  windows          = 11 # ERROR: Value out of range
  max_duration     = "-1s" # ERROR: Duration out of range
  then             = 1 # ERROR: Invalid abort action
}

component "api" {
  process {
    command = ["./api", self.listen]
  }
}

workload "w" {
  http {
    target = component.api
    rate   = 10
  }
}

failure_mode "down" {
  component  = component.api
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "kill" {}
}

hypothesis "h" {
  failure_mode = failure_mode.down
  workload     = workload.w
  expect       = "steady"
}
