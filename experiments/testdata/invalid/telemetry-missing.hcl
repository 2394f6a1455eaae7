experiment "observed" {
  baseline = "20s"
  fault    = "10s"
  recovery = "10s"
  window   = "2s"
}

signal "p90" { # ERROR: Missing telemetry block
  query = "up"
}

abort { # ERROR: Missing telemetry block
  promql = "up == 0"
}

component "api" {
  process {
    command = ["./api", self.listen]
  }
}

failure_mode "down" {
  component  = component.api
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "kill" {}
  detection {
    alert  = "ApiDown"
    within = "10s"
  }
}

hypothesis "alerted" {
  failure_mode = failure_mode.down
  expect       = "detected" # ERROR: Missing telemetry block
}
