# The faultline quickstart: a shop that calls a prices service.
#
#   /catalog   serves prices from a cache refreshed in the background,
#              so it should not notice a slow prices service;
#   /checkout  asks prices on every request, with no timeout;
#   /quote     asks prices with a 250ms timeout and one retry.
#
# `make run` builds the two services into ./bin and runs this file.

experiment "quickstart" {
  description = "The shop keeps serving when its prices service misbehaves"
  baseline    = "20s"
  fault       = "10s"
  recovery    = "10s"
  window      = "5s"
}

component "prices" {
  function = "Answer the current price of an item"
  process {
    command = ["./bin/prices", "-listen", self.listen]
    ready { http = "/healthz" }
  }
}

component "shop" {
  function = "Serve the catalog and checkout within 100 ms"
  process {
    command = ["./bin/shop", "-listen", self.listen]
    env     = { PRICES_URL = component.prices.url }
    ready { http = "/healthz" }
  }
}

workload "catalog" {
  http {
    target = component.shop
    path   = "/catalog"
    rate   = 80
  }
}

workload "checkout" {
  http {
    target  = component.shop
    path    = "/checkout"
    rate    = 80
    timeout = "2s"
  }
}

workload "quote" {
  http {
    target = component.shop
    path   = "/quote"
    rate   = 80
  }
}

failure_mode "prices-slow" {
  component  = component.prices
  cause      = "Prices database under load"
  effect     = "Every price lookup waits"
  severity   = 6
  occurrence = 4
  detection  = 5
  fault "latency" {
    delay  = "300ms"
    jitter = "20ms"
  }
}

failure_mode "prices-flaky" {
  component  = component.prices
  cause      = "A bad prices replica behind the load balancer"
  effect     = "One lookup in ten fails"
  severity   = 5
  occurrence = 5
  detection  = 4
  fault "http_error" {
    status   = 503
    fraction = 0.1
  }
}

failure_mode "prices-crash" {
  component  = component.prices
  cause      = "Prices process runs out of memory"
  effect     = "Price lookups are refused until it restarts"
  severity   = 7
  occurrence = 3
  detection  = 3
  fault "kill" {}
}

hypothesis "catalog-tolerates-slow-prices" {
  description  = "The catalog is served from cache, so slow prices do not matter"
  failure_mode = failure_mode.prices-slow
  workload     = workload.catalog
  expect       = "steady"
}

hypothesis "checkout-tolerates-slow-prices" {
  description  = "Checkout has no timeout on prices: this is expected to be refuted"
  failure_mode = failure_mode.prices-slow
  workload     = workload.checkout
  expect       = "steady"
}

hypothesis "quote-retries-hide-flaky-prices" {
  description  = "Quote retries once, so a 10% error rate on prices is invisible"
  failure_mode = failure_mode.prices-flaky
  workload     = workload.quote
  expect       = "steady"
}

hypothesis "checkout-recovers-after-prices-crash" {
  description  = "Checkout fails while prices is down and recovers once it is back"
  failure_mode = failure_mode.prices-crash
  workload     = workload.checkout
  expect       = "recovers"
  within       = "5s"
}
