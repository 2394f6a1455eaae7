experiment "values" {
  baseline = "20s"
  fault    = "10s"
  recovery = "10s"
  window   = "2s"
}

abort {
  outlier_fraction = 0 # ERROR: Value out of range
  error_rate       = 1 # ERROR: Value out of range
  windows          = 1.5 # ERROR: Invalid whole number
  max_duration     = "10s" # ERROR: Duration out of range
  then             = "stopp" # ERROR: Invalid abort action
}

abort { # ERROR: Duplicate abort block
  error_rate = 0.5
}

abort "named" { # ERROR: Extraneous block label
  error_rate = 0.5
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
