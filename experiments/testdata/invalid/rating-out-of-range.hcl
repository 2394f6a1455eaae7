experiment "ratings" {}

component "api" {
  process {
    command = ["./api", self.listen]
  }
}

failure_mode "bad-ratings" {
  component  = component.api
  severity   = 11 # ERROR: Rating out of range
  occurrence = 4.5 # ERROR: Invalid whole number
  detection  = 0 # ERROR: Rating out of range
  fault "kill" {}
}

failure_mode "negative" {
  component  = component.api
  severity   = -3 # ERROR: Rating out of range
  occurrence = "high" # ERROR: Incorrect value type
  detection  = 1e300 # ERROR: Value out of range
  fault "kill" {}
}

workload "w" {
  http {
    target = component.api
    rate   = 10
  }
}

hypothesis "h" {
  failure_mode = failure_mode.bad-ratings
  workload     = workload.w
  expect       = "steady"
}
