# Signals, detection alerts and a PromQL abort condition.
experiment "observed" {
  baseline = "20s"
  fault    = "10s"
  recovery = "10s"
  window   = "2s"
}

telemetry "prometheus" {
  address = "https://mimir.example.com/prometheus"
  timeout = "5s"
  basic_auth {
    username_env = "PROM_USER"
    password_env = "PROM_PASSWORD"
  }
}

signal "p90" {
  query  = "histogram_quantile(0.9, sum by (le, route) (rate(http_request_duration_seconds_bucket[5s])))"
  step   = "500ms"
  cohort = ["route"]
}

signal "errors" {
  query = "sum(rate(http_requests_total{code=~\"5..\"}[5s])) / sum(rate(http_requests_total[5s]))"
  value = "ratio"
}

abort {
  promql = "sum(rate(http_requests_total{code=~\"5..\"}[5s])) > 100"
  then   = "stop"
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
    alert  = "ApiDown"
    within = "15s"
  }
  detection {
    alert  = "ApiErrors"
    within = "20s"
  }
}

hypothesis "steady-on-events" {
  failure_mode = failure_mode.down
  workload     = workload.w
  expect       = "steady"
}

hypothesis "recovers-on-p90" {
  failure_mode = failure_mode.down
  signal       = signal.p90
  expect       = "recovers"
  within       = "5s"
}

hypothesis "alerted" {
  failure_mode = failure_mode.down
  expect       = "detected"
}

hypothesis "down-alert" {
  failure_mode = failure_mode.down
  expect       = "detected"
  alert        = "ApiDown"
}
