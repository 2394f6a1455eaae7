experiment "kinds" {}

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

failure_mode "slow" {
  component  = component.api
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "latncy" { # ERROR: Unsupported fault kind
    delay = "1s"
  }
  fault "partiton" {} # ERROR: Unsupported fault kind
  fault {} # ERROR: Missing block label
  fault "kill" "now" {} # ERROR: Extraneous block label
}

hypothesis "h" {
  failure_mode = failure_mode.slow
  workload     = workload.w
  expect       = "steady"
}
