experiment "within" {}

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
  fault "restart" {}
}

hypothesis "steady-with-within" {
  failure_mode = failure_mode.down
  workload     = workload.w
  expect       = "steady"
  within       = "10s" # ERROR: Unexpected within
}

hypothesis "recovers-without-within" {
  failure_mode = failure_mode.down
  workload     = workload.w
  expect       = "recovers" # ERROR: Missing required argument
}

hypothesis "bad-expectation" {
  failure_mode = failure_mode.down
  workload     = workload.w
  expect       = "stedy" # ERROR: Invalid expectation
}
