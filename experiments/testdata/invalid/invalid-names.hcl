experiment "names ok" {} # ERROR: Invalid name

component "1api" { # ERROR: Invalid name
  process {
    command = ["./api", self.listen]
  }
}

component { # ERROR: Missing block label
  process {
    command = ["./api", self.listen]
  }
}

workload "w" "extra" { # ERROR: Extraneous block label
  http {
    target = component.api
    rate   = 10
  }
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
}

hypothesis "_h" { # ERROR: Invalid name
  failure_mode = failure_mode.down
  workload     = workload.w # ERROR: Reference to undeclared workload
  expect       = "steady"
}
