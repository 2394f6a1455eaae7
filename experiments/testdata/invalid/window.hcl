experiment "windows" {
  baseline = "10s"
  fault    = "3s"
  recovery = "2s"
  window   = "4s" # ERROR: Duration out of range # ERROR: Duration out of range # ERROR: Duration out of range
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
  within       = "1h" # ERROR: Duration out of range
}
