experiment "empty" {
  abort { # ERROR: Unsupported block type
    error_rate = 0.5
  }
}

abort { # ERROR: Missing abort limit
  windows = 2
  then    = "stop"
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
