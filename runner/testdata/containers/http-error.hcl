# The store and the cache, with an http_error fault on the link to the
# cache: faultline puts its HTTP-aware proxy sidecar in front of the cache.

experiment "link-http-error" {
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

failure_mode "cache-unavailable" {
  component  = component.cache
  severity   = 6
  occurrence = 3
  detection  = 3
  fault "http_error" {
    status   = 503
    fraction = 1
  }
}

hypothesis "unavailable" {
  failure_mode = failure_mode.cache-unavailable
  workload     = workload.items
  expect       = "steady"
}
