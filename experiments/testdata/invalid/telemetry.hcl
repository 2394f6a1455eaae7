experiment "observed" {
  baseline = "20s"
  fault    = "10s"
  recovery = "10s"
  window   = "2s"
}

telemetry "graphite" { # ERROR: Unsupported telemetry
  address          = "127.0.0.1:9090" # ERROR: Invalid address
  bearer_token_env = "my secret" # ERROR: Invalid environment variable name
  timeout          = "0s" # ERROR: Duration out of range
}

telemetry "prometheus" { # ERROR: Duplicate telemetry block
  address = "http://user:pw@127.0.0.1:9090"
}

signal "p90" {
  query  = " " # ERROR: Empty query
  step   = "5s" # ERROR: Duration out of range
  cohort = ["route", "1x"] # ERROR: Invalid label name
  value  = "ratios" # ERROR: Invalid signal value
}

signal "tiny" {
  query = "up"
  step  = "10ms" # ERROR: Duration out of range
}

abort {
  promql = "" # ERROR: Empty query
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
  detection {
    alert  = "Api Down" # ERROR: Invalid alert name
    within = "1h" # ERROR: Duration out of range
  }
  detection {
    alert  = "ApiDown"
    within = "10s"
  }
  detection {
    alert  = "ApiDown" # ERROR: Duplicate detection
    within = "10s"
  }
}

failure_mode "slow" {
  component  = component.api
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "pause" {}
}

hypothesis "both" {
  failure_mode = failure_mode.down
  workload     = workload.w
  signal       = signal.p90 # ERROR: Conflicting subjects
  expect       = "steady"
}

hypothesis "neither" { # ERROR: Missing workload
  failure_mode = failure_mode.down
  expect       = "steady"
}

hypothesis "detected-with-workload" {
  failure_mode = failure_mode.down
  workload     = workload.w # ERROR: Unexpected workload
  expect       = "detected"
  within       = "5s" # ERROR: Unexpected within
}

hypothesis "no-detection" {
  failure_mode = failure_mode.slow
  expect       = "detected" # ERROR: No detection to expect
}

hypothesis "unknown-alert" {
  failure_mode = failure_mode.down
  expect       = "detected"
  alert        = "ApiDwn" # ERROR: Unknown alert
}

hypothesis "alert-on-steady" {
  failure_mode = failure_mode.down
  signal       = signal.tiny
  expect       = "steady"
  alert        = "ApiDown" # ERROR: Unexpected alert
}

hypothesis "unknown-signal" {
  failure_mode = failure_mode.down
  signal       = signal.p99 # ERROR: Reference to undeclared signal
  expect       = "steady"
}
