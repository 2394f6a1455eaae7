experiment "durations" {
  baseline = "20x" # ERROR: Invalid duration
  fault    = 30 # ERROR: Invalid duration
  recovery = "500ms" # ERROR: Duration out of range
  window   = "1m"
}

experiment "windows" { # ERROR: Duplicate experiment block
}

component "api" {
  process {
    command = ["./api", self.listen]
    ready {
      timeout = "0s" # ERROR: Duration out of range
    }
  }
}

workload "w" {
  http {
    target  = component.api
    rate    = 10
    timeout = "-1s" # ERROR: Duration out of range
  }
}

failure_mode "slow" {
  component  = component.api
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "latency" {
    delay  = "100ms"
    jitter = "200ms" # ERROR: Duration out of range
  }
  fault "jitter" {
    jitter = "" # ERROR: Invalid duration
  }
  fault "slow_close" {
    delay = "0s" # ERROR: Duration out of range
  }
  fault "reset" {
    after = "-5ms" # ERROR: Duration out of range
  }
  fault "timeout" {
    after = ["1s"] # ERROR: Incorrect value type
  }
}

hypothesis "h" {
  failure_mode = failure_mode.slow
  workload     = workload.w
  expect       = "recovers"
  within       = "forever" # ERROR: Invalid duration
}
