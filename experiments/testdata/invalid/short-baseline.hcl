experiment "short" {
  baseline = "10s" # ERROR: Duration out of range
  recovery = "20s"
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
  expect       = "recovers"
  within       = "20s" # ERROR: Duration out of range
}

hypothesis "zero" {
  failure_mode = failure_mode.down
  workload     = workload.w
  expect       = "recovers"
  within       = "0s" # ERROR: Duration out of range
}
