# A whole run through runner.Run: exec faults on the cache, one that works
# and one that fails, with short phases.

experiment "exec-run" {
  baseline = "5s"
  fault    = "1s"
  recovery = "1s"
  window   = "1s"
}

component "store" {
  container {
    image = "faultline-shop/store:dev"
    port  = 8080
    build { context = "../../../examples/shop/store" }
    ready { http = "/healthz" }
  }
}

component "cache" {
  container {
    image = "faultline-shop/cache:dev"
    port  = 8080
    env   = { STORE_URL = component.store.url }
    build { context = "../../../examples/shop/cache" }
    ready { http = "/healthz" }
  }
}

workload "items" {
  http {
    target = component.cache
    path   = "/items/7"
    rate   = 10
  }
}

failure_mode "cache-flushed" {
  component  = component.cache
  severity   = 2
  occurrence = 3
  detection  = 3
  fault "exec" {
    command = ["/cache", "-flush"]
  }
}

failure_mode "cache-exec-fails" {
  component  = component.cache
  severity   = 2
  occurrence = 3
  detection  = 3
  fault "exec" {
    command = ["/cache", "-no-such-flag"]
  }
}

hypothesis "flushed" {
  failure_mode = failure_mode.cache-flushed
  workload     = workload.items
  expect       = "steady"
}

hypothesis "exec-fails" {
  failure_mode = failure_mode.cache-exec-fails
  workload     = workload.items
  expect       = "steady"
}
