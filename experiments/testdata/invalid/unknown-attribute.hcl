experiment "typos" {
  baseline  = "30s"
  recovry   = "10s" # ERROR: Unsupported argument
}

component "api" {
  functon = "Serve requests" # ERROR: Unsupported argument
  process {
    command = ["./api", self.listen]
    ready {
      http    = "/healthz"
      timout  = "5s" # ERROR: Unsupported argument
    }
  }
}

workload "w" {
  http {
    target = component.api
    rate   = 10
    cohorts = ["route"] # ERROR: Unsupported argument
  }
}

failure_mode "slow" {
  component  = component.api
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "latency" {
    delai = "100ms" # ERROR: Unsupported argument
  }
  fault "blackhole" {
    delay = "1s" # ERROR: Unsupported argument
  }
}

hypothesis "h" {
  failure_mode = failure_mode.slow
  workload     = workload.w
  expect       = "steady"
  process      = "x" # ERROR: Unsupported argument
}

baseline = "20s" # ERROR: Unsupported argument
