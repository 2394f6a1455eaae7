experiment "values" {
  sigma     = 0 # ERROR: Value out of range
  threshold = 1 # ERROR: Value out of range
}

component "api" {
  address = "localhost" # ERROR: Invalid address
  process {
    command = ["./api", self.listen]
    listen  = "127.0.0.1:70000" # ERROR: Invalid address
    ready {
      http = "healthz" # ERROR: Invalid path
    }
  }
}

component "db" {
  address = "127.0.0.1:5432"
  process {
    command = ["./db", self.listen]
    listen  = "127.0.0.1:5432" # ERROR: Address already in use
  }
}

workload "w" {
  http {
    target      = component.api
    method      = "GETT" # ERROR: Invalid method
    path        = "catalog" # ERROR: Invalid path
    rate        = 0 # ERROR: Value out of range
    concurrency = -1 # ERROR: Value out of range
    headers     = { "Bad Header" = "x" } # ERROR: Invalid header name
    labels      = { route = "x" } # ERROR: Reserved label name
    cohort      = ["route", "regoin", "route"] # ERROR: Invalid cohort label # ERROR: Duplicate cohort label
  }
}

workload "fast" {
  http {
    target  = component.api
    rate    = 10001 # ERROR: Value out of range
    timeout = "2m" # ERROR: Duration out of range
    cohort  = [] # ERROR: Empty cohort
    body    = null # ERROR: Missing value
  }
}

failure_mode "net" {
  component  = component.api
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "bandwidth" {
    rate = "64kbps" # ERROR: Invalid rate
  }
  fault "bandwidth" {
    rate = "0.5B/s" # ERROR: Value out of range
  }
  fault "latency" {
    delay     = "1s"
    direction = "down" # ERROR: Invalid direction
    toxicity  = 2 # ERROR: Value out of range
  }
  fault "http_error" {
    status   = 200 # ERROR: Value out of range
    fraction = 0 # ERROR: Value out of range
  }
  fault "limit_data" {
    bytes = 0 # ERROR: Value out of range
  }
  fault "kill" {
    signal = "SIGSTOP" # ERROR: Invalid signal
  }
}

hypothesis "h" {
  failure_mode = failure_mode.net
  workload     = workload.w
  expect       = "steady"
}
