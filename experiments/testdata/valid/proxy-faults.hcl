# Every fault kind that acts on traffic, with every argument it takes.

experiment "proxy-faults" {
  description = "The shop survives every kind of network trouble with its cache"
  baseline    = "1m30s"
  fault       = "45s"
  recovery    = "40s"
  window      = "2500ms"
  sigma       = 2.5
  threshold   = 0.05
}

component "cache" {
  function = "Serve cached prices"
  address  = "127.0.0.1:16379"
  process {
    command = ["./bin/cache", "--port", "${self.port}"]
    listen  = "127.0.0.1:16380"
  }
}

component "shop" {
  function = "Serve checkout"
  process {
    command = ["./bin/shop", "-listen", self.listen]
    env = {
      CACHE_ADDR = component.cache.address
    }
  }
}

workload "browse" {
  http {
    target = component.shop
    rate   = 50
  }
}

failure_mode "cache-slow" {
  component  = component.cache
  cause      = "Cache host under memory pressure"
  effect     = "Every price lookup waits"
  severity   = 6
  occurrence = 4
  detection  = 5
  fault "latency" {
    delay     = "200ms"
    jitter    = "20ms"
    direction = "upstream"
    toxicity  = 0.5
  }
  fault "jitter" {
    jitter    = "50ms"
    direction = "downstream"
    toxicity  = 1
  }
}

failure_mode "cache-narrow" {
  component  = component.cache
  severity   = 4
  occurrence = 3
  detection  = 6
  fault "bandwidth" {
    rate      = "64KB/s"
    direction = "downstream"
    toxicity  = 0.75
  }
  fault "bandwidth" {
    rate = "1MB/s"
  }
  fault "bandwidth" {
    rate = "512B/s"
  }
}

failure_mode "cache-hangs" {
  component  = component.cache
  severity   = 7
  occurrence = 2
  detection  = 4
  fault "timeout" {
    after     = "2s"
    direction = "upstream"
    toxicity  = 0.3
  }
  fault "timeout" {}
  fault "blackhole" {
    direction = "downstream"
    toxicity  = 0.1
  }
}

failure_mode "cache-drops" {
  component  = component.cache
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "reset" {
    after     = "100ms"
    direction = "upstream"
    toxicity  = 0.2
  }
  fault "reset" {}
  fault "slow_close" {
    delay     = "3s"
    direction = "downstream"
    toxicity  = 1
  }
  fault "limit_data" {
    bytes     = 4096
    direction = "downstream"
    toxicity  = 0.9
  }
}

failure_mode "cache-errors" {
  component  = component.shop
  severity   = 6
  occurrence = 3
  detection  = 3
  fault "http_error" {
    status   = 500
    fraction = 0.25
  }
  fault "http_error" {
    fraction = 1
  }
}

hypothesis "browse-tolerates-slow-cache" {
  description  = "Lookups are cached in process"
  failure_mode = failure_mode.cache-slow
  workload     = workload.browse
  expect       = "steady"
}

hypothesis "browse-recovers-from-drops" {
  failure_mode = failure_mode.cache-drops
  workload     = workload.browse
  expect       = "recovers"
  within       = "39s"
}
