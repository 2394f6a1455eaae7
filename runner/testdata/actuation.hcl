# BenchmarkContainerActuation: one container behind a proxy sidecar.
# The benchmark injects the faults itself; the failure modes below only
# make the plan place the proxy (latency, http_error) and the sidecar image.

experiment "actuation" {
  baseline = "5s"
  fault    = "1s"
  recovery = "1s"
  window   = "1s"
}

component "store" {
  container {
    image = "faultline-shop/store:dev"
    port  = 8080
    env   = { STORE_MEDIAN = "1ms" }
    build { context = "../../examples/shop/store" }
    ready { http = "/healthz" }
  }
}

workload "read" {
  http {
    target = component.store
    path   = "/items/1"
    rate   = 1
  }
}

failure_mode "link" {
  component  = component.store
  severity   = 1
  occurrence = 1
  detection  = 1
  fault "latency" {
    delay = "100ms"
  }
  fault "http_error" {
    status   = 503
    fraction = 1
  }
}

hypothesis "h" {
  failure_mode = failure_mode.link
  workload     = workload.read
  expect       = "steady"
}
