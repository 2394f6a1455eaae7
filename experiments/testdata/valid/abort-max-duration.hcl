# Only a wall-clock limit, which may be shorter than the planned phases:
# the run is cut after the baseline and part of the first fault.

experiment "capped" {
  baseline = "30s"
}

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
  fault "kill" {}
}

hypothesis "ping-recovers" {
  failure_mode = failure_mode.api-down
  workload     = workload.ping
  expect       = "recovers"
  within       = "10s"
}

# After the other blocks: the order of blocks does not matter.
abort {
  max_duration = "45s"
}
