# The shortest run of the quickstart's services, for the tests of the
# terminal output: what is printed matters, not the verdicts.
experiment "tiny" {
  baseline = "5s"
  fault    = "2s"
  recovery = "2s"
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

workload "checkout" {
  http {
    target  = component.shop
    path    = "/checkout"
    rate    = 50
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

hypothesis "checkout-steady" {
  failure_mode = failure_mode.prices-slow
  workload     = workload.checkout
  expect       = "steady"
}
