# A short version of the quickstart for the end-to-end tests: the same
# services, shorter phases, one refuted and one confirmed hypothesis.
experiment "short" {
  baseline = "8s"
  fault    = "5s"
  recovery = "5s"
  window   = "1s"
}

component "prices" {
  function = "Answer prices"
  process {
    command = ["./bin/prices", "-listen", self.listen]
    ready { http = "/healthz" }
  }
}

component "shop" {
  function = "Serve the shop"
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
    rate   = 100
  }
}

workload "checkout" {
  http {
    target  = component.shop
    path    = "/checkout"
    rate    = 100
    timeout = "2s"
  }
}

failure_mode "prices-slow" {
  component  = component.prices
  cause      = "Load"
  effect     = "Slow lookups"
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "latency" { delay = "300ms" }
}

hypothesis "catalog-steady" {
  failure_mode = failure_mode.prices-slow
  workload     = workload.catalog
  expect       = "steady"
}

hypothesis "checkout-steady" {
  failure_mode = failure_mode.prices-slow
  workload     = workload.checkout
  expect       = "steady"
}
