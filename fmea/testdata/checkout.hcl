# The fixture of the fmea tests: a shop, its prices service and its store,
# with the FMEA header, controls and actions. testdata/runs holds runs of
# it (written by fixtureRuns in fmea_test.go).

experiment "checkout" {
  description = "Checkout keeps working when its dependencies fail"
}

telemetry "prometheus" {
  address = "http://127.0.0.1:9090"
}

fmea {
  system   = "Web shop"
  scope    = "Checkout, from the shop to the prices service and the store"
  team     = ["Ana (SRE)", "Bo (payments)"]
  revision = "3"
  date     = "2026-11-27"
}

component "prices" {
  function = "Answer the current price of an item"
  process {
    command = ["./bin/prices", "-listen", self.listen]
  }
}

component "store" {
  function = "Keep the orders"
  process {
    command = ["./bin/store", "-listen", self.listen]
  }
}

component "shop" {
  function = "Serve the catalog and checkout within 100 ms"
  process {
    command = ["./bin/shop", "-listen", self.listen]
    env     = { PRICES_URL = component.prices.url, STORE_URL = component.store.url }
  }
}

workload "checkout" {
  http {
    target = component.shop
    path   = "/checkout"
    rate   = 50
  }
}

workload "catalog" {
  http {
    target = component.shop
    path   = "/catalog"
    rate   = 50
  }
}

failure_mode "prices-slow" {
  component          = component.prices
  cause              = "Prices database under load"
  effect             = "Every price lookup waits"
  severity           = 6
  occurrence         = 4
  detection          = 5
  prevention         = ["Catalog served from a cache refreshed in the background"]
  detection_controls = ["p99 latency dashboard, reviewed daily"]
  fault "latency" { delay = "300ms" }
  detection {
    alert  = "PricesSlow"
    within = "20s"
  }
  action "Add a 250ms timeout to checkout's price lookup" {
    owner  = "Bo (payments)"
    status = "in_progress"
    due    = "2027-01-31"
  }
}

failure_mode "prices-down" {
  component  = component.prices
  cause      = "Prices process runs out of memory"
  effect     = "Checkout fails until prices is back"
  severity   = 9
  occurrence = 4
  detection  = 6
  prevention = ["Memory limit alarms at 80%", "Restart on crash"]
  fault "kill" {}
  detection {
    alert  = "PricesDown"
    within = "15s"
  }
}

failure_mode "store-hang" {
  component  = component.store
  cause      = "A long lock in the store"
  effect     = "Checkout waits without an answer"
  severity   = 5
  occurrence = 2
  detection  = 3
  fault "pause" {}
  detection {
    alert  = "StoreSlow"
    within = "15s"
  }
  action "Give checkout a deadline on store calls" {
    owner = "Ana (SRE)"
  }
  action "Page on StoreSlow" {
    status = "done"
  }
}

failure_mode "catalog-stale" {
  component  = component.prices
  cause      = "The price cache stops refreshing"
  effect     = "Old prices are shown"
  severity   = 3
  occurrence = 8
  detection  = 6
  fault "http_error" { fraction = 1 }
}

hypothesis "checkout-steady-when-prices-slow" {
  failure_mode = failure_mode.prices-slow
  workload     = workload.checkout
  expect       = "steady"
}

hypothesis "catalog-steady-when-prices-slow" {
  failure_mode = failure_mode.prices-slow
  workload     = workload.catalog
  expect       = "steady"
}

hypothesis "prices-slow-detected" {
  failure_mode = failure_mode.prices-slow
  expect       = "detected"
}

hypothesis "checkout-recovers-after-prices-down" {
  failure_mode = failure_mode.prices-down
  workload     = workload.checkout
  expect       = "recovers"
  within       = "10s"
}

hypothesis "checkout-steady-when-store-hangs" {
  failure_mode = failure_mode.store-hang
  workload     = workload.checkout
  expect       = "steady"
}

hypothesis "catalog-steady-when-stale" {
  failure_mode = failure_mode.catalog-stale
  workload     = workload.catalog
  expect       = "steady"
}
