# testdata/short.hcl with an abort limit: a slow prices service makes
# every checkout an outlier, which trips the limit in the first window of
# the fault; the fault is reverted at once and the run goes on.
experiment "abort" {
  baseline = "8s"
  fault    = "5s"
  recovery = "3s"
  window   = "1s"
}

abort {
  outlier_fraction = 0.5
  windows          = 1
  max_duration     = "5m"
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
