# The store and the cache, with a latency fault on the link to the cache:
# faultline puts its proxy sidecar (TCP only) in front of the cache.

experiment "link-latency" {
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
    rate   = 1
  }
}

failure_mode "cache-slow" {
  component  = component.cache
  severity   = 4
  occurrence = 3
  detection  = 3
  fault "latency" {
    delay = "200ms"
  }
}

hypothesis "slow" {
  failure_mode = failure_mode.cache-slow
  workload     = workload.items
  expect       = "steady"
}
