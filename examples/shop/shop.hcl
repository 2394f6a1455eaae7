# The container shop: a frontend, a cache and a store, each in its own
# container on a private network (see README.md for what each route does).
#
#   /product   reads through the cache with a 50ms timeout and one retry,
#              and falls back to the store: losing the cache is hidden;
#   /checkout  writes to the store with no timeout: a hung store hangs it;
#   /browse    reads only from the cache: it fails while the cache is down
#              and must recover once it is back.
#
# `make shop` builds the binaries and runs this file; faultline builds the
# images from each service's directory (FROM scratch, nothing is pulled).

experiment "shop" {
  description = "The shop's routes under real container faults"
  baseline    = "20s"
  fault       = "10s"
  recovery    = "10s"
  window      = "5s"
}

component "store" {
  function = "Keep the catalogue and the orders"
  container {
    image = "faultline-shop/store:dev"
    port  = 8080
    build { context = "store" }
    ready { http = "/healthz" }
  }
}

component "cache" {
  function = "Answer item reads from memory, refreshing from the store"
  container {
    image = "faultline-shop/cache:dev"
    port  = 8080
    env   = { STORE_URL = component.store.url }
    build { context = "cache" }
    ready { http = "/healthz" }
  }
}

component "frontend" {
  function = "Serve products, browsing and checkout"
  container {
    image = "faultline-shop/frontend:dev"
    port  = 8080
    env = {
      CACHE_URL = component.cache.url
      STORE_URL = component.store.url
    }
    build { context = "frontend" }
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

failure_mode "cache-cut-off" {
  component  = component.cache
  cause      = "The cache's network is lost"
  effect     = "The cache cannot be reached by name"
  severity   = 6
  occurrence = 3
  detection  = 4
  fault "partition" {}
}

failure_mode "cache-slow" {
  component  = component.cache
  cause      = "The network path to the cache is congested"
  effect     = "Every call to the cache takes 300ms longer"
  severity   = 4
  occurrence = 5
  detection  = 5
  fault "latency" {
    delay = "300ms"
  }
}

failure_mode "cache-flushed" {
  component  = component.cache
  cause      = "An operator flushes the cache"
  effect     = "Every item is read from the store once more"
  severity   = 2
  occurrence = 6
  detection  = 7
  fault "exec" {
    command = ["/cache", "-flush"]
  }
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
  within       = "5s"
}

hypothesis "product-survives-cache-partition" {
  failure_mode = failure_mode.cache-cut-off
  workload     = workload.product
  expect       = "steady"
}

hypothesis "product-survives-slow-cache" {
  failure_mode = failure_mode.cache-slow
  workload     = workload.product
  expect       = "steady"
}

hypothesis "product-survives-cache-flush" {
  failure_mode = failure_mode.cache-flushed
  workload     = workload.product
  expect       = "steady"
}

hypothesis "checkout-survives-store-hang" {
  failure_mode = failure_mode.store-hang
  workload     = workload.checkout
  expect       = "steady"
}
