# examples/shop/shop.hcl cut short for the CLI's container test: the same
# three services (built from examples/shop), two failure modes, and phases
# of a few seconds. Only verdicts that hold at this length are asserted:
# see container_test.go.

experiment "shop-short" {
  description = "The shop's routes under a cache crash and a store hang, briefly"
  baseline    = "6s"
  fault       = "4s"
  recovery    = "4s"
  window      = "2s"
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

component "frontend" {
  container {
    image = "faultline-shop/frontend:dev"
    port  = 8080
    env = {
      CACHE_URL = component.cache.url
      STORE_URL = component.store.url
    }
    build { context = "../../../examples/shop/frontend" }
    ready { http = "/healthz" }
  }
}

workload "product" {
  http {
    target = component.frontend
    path   = "/product/7"
    rate   = 40
  }
}

workload "browse" {
  http {
    target = component.frontend
    path   = "/browse"
    rate   = 40
  }
}

workload "checkout" {
  http {
    target  = component.frontend
    path    = "/checkout?item=3"
    rate    = 20
    timeout = "2s"
  }
}

failure_mode "cache-crash" {
  component  = component.cache
  cause      = "The cache process dies (out of memory, a bad deploy)"
  effect     = "Reads that need the cache fail until it is back"
  severity   = 6
  occurrence = 4
  detection  = 3
  fault "kill" {}
}

failure_mode "store-hang" {
  component  = component.store
  cause      = "The store stops answering (a long GC pause, a lock)"
  effect     = "Requests to the store wait without an answer"
  severity   = 8
  occurrence = 3
  detection  = 4
  fault "pause" {}
}

hypothesis "product-survives-cache-crash" {
  failure_mode = failure_mode.cache-crash
  workload     = workload.product
  expect       = "steady"
}

hypothesis "browse-recovers-after-cache-crash" {
  failure_mode = failure_mode.cache-crash
  workload     = workload.browse
  expect       = "recovers"
  within       = "2s"
}

hypothesis "checkout-survives-store-hang" {
  failure_mode = failure_mode.store-hang
  workload     = workload.checkout
  expect       = "steady"
}
