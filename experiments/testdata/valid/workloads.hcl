# Every argument of an http workload.

experiment "workloads" {
  description = "Orders keep flowing while the API is slow"
}

component "api" {
  function = "Take orders"
  process {
    command = ["./bin/api", "-listen", self.listen]
    ready {
      http = "/healthz"
    }
  }
}

workload "orders" {
  http {
    target = component.api
    method = "post"
    path   = "/orders?source=faultline"
    headers = {
      "Content-Type"     = "application/json"
      "X-Request-Source" = "faultline"
    }
    body        = "{\"item\": 42}"
    rate        = 250.5
    timeout     = "750ms"
    concurrency = 64
    cohort      = ["route", "method", "status_class", "workload", "region"]
    labels = {
      region = "eu-west"
      tier   = "gold"
    }
  }
}

workload "defaults" {
  http {
    target = component.api
    rate   = 4
  }
}

workload "busy" {
  http {
    target  = component.api
    rate    = 1000
    timeout = "3s"
  }
}

failure_mode "api-slow" {
  component  = component.api
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "latency" {
    delay = "1s"
  }
}

hypothesis "orders-steady" {
  failure_mode = failure_mode.api-slow
  workload     = workload.orders
  expect       = "steady"
}
