# The smallest useful experiment: every default applies.

experiment "minimal" {}

component "api" {
  process {
    command = ["./bin/api", "-listen", self.listen]
  }
}

workload "ping" {
  http {
    target = component.api
    rate   = 10
  }
}

failure_mode "api-down" {
  component  = component.api
  severity   = 8
  occurrence = 2
  detection  = 2
  fault "restart" {}
}

hypothesis "ping-recovers" {
  failure_mode = failure_mode.api-down
  workload     = workload.ping
  expect       = "recovers"
  within       = "10s"
}
