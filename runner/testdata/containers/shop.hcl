# The shop on containers for runner's container fault tests: each test
# starts it, injects one failure mode's fault through NewFault and
# measures the effect on traffic. No link fault is exercised, so no
# component has a proxy in front: every public address is the
# container's own host port.

experiment "shop-faults" {
  baseline = "5s"
  fault    = "3s"
  recovery = "2s"
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
    image  = "faultline-shop/cache:dev"
    port   = 8080
    memory = "256MiB"
    # A long TTL: a read after a hit is a miss only if the cache was flushed.
    env = {
      STORE_URL = component.store.url
      CACHE_TTL = "60s"
    }
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

workload "health" {
  http {
    target = component.frontend
    path   = "/healthz"
    rate   = 1
  }
}

failure_mode "cache-paused" {
  component  = component.cache
  severity   = 5
  occurrence = 3
  detection  = 3
  fault "pause" {}
}

failure_mode "cache-cut-off" {
  component  = component.cache
  severity   = 5
  occurrence = 3
  detection  = 3
  fault "partition" {}
}

failure_mode "cache-killed" {
  component  = component.cache
  severity   = 5
  occurrence = 3
  detection  = 3
  fault "kill" {}
}

failure_mode "cache-stopped" {
  component  = component.cache
  severity   = 5
  occurrence = 3
  detection  = 3
  fault "stop" {}
}

failure_mode "cache-memory" {
  component  = component.cache
  severity   = 3
  occurrence = 3
  detection  = 3
  fault "memory" {
    limit = "64MiB"
  }
}

failure_mode "frontend-memory" {
  component  = component.frontend
  severity   = 3
  occurrence = 3
  detection  = 3
  fault "memory" {
    limit = "64MiB"
  }
}

failure_mode "cache-flushed" {
  component  = component.cache
  severity   = 2
  occurrence = 3
  detection  = 3
  fault "exec" {
    command = ["/cache", "-flush"]
  }
}

failure_mode "cache-exec-fails" {
  component  = component.cache
  severity   = 2
  occurrence = 3
  detection  = 3
  fault "exec" {
    command = ["/cache", "-no-such-flag"]
  }
}

failure_mode "cache-exec-missing" {
  component  = component.cache
  severity   = 2
  occurrence = 3
  detection  = 3
  fault "exec" {
    command = ["/no-such-program"]
  }
}

failure_mode "cache-lossy" {
  component  = component.cache
  severity   = 4
  occurrence = 3
  detection  = 3
  fault "loss" {
    percent = 50
  }
}

failure_mode "store-throttled" {
  component  = component.store
  severity   = 4
  occurrence = 3
  detection  = 3
  fault "bandwidth" {
    rate = "512KB/s"
  }
}

hypothesis "paused" {
  failure_mode = failure_mode.cache-paused
  workload     = workload.health
  expect       = "steady"
}

hypothesis "cut-off" {
  failure_mode = failure_mode.cache-cut-off
  workload     = workload.health
  expect       = "steady"
}

hypothesis "killed" {
  failure_mode = failure_mode.cache-killed
  workload     = workload.health
  expect       = "steady"
}

hypothesis "stopped" {
  failure_mode = failure_mode.cache-stopped
  workload     = workload.health
  expect       = "steady"
}

hypothesis "cache-memory" {
  failure_mode = failure_mode.cache-memory
  workload     = workload.health
  expect       = "steady"
}

hypothesis "frontend-memory" {
  failure_mode = failure_mode.frontend-memory
  workload     = workload.health
  expect       = "steady"
}

hypothesis "flushed" {
  failure_mode = failure_mode.cache-flushed
  workload     = workload.health
  expect       = "steady"
}

hypothesis "exec-fails" {
  failure_mode = failure_mode.cache-exec-fails
  workload     = workload.health
  expect       = "steady"
}

hypothesis "exec-missing" {
  failure_mode = failure_mode.cache-exec-missing
  workload     = workload.health
  expect       = "steady"
}

hypothesis "lossy" {
  failure_mode = failure_mode.cache-lossy
  workload     = workload.health
  expect       = "steady"
}

hypothesis "throttled" {
  failure_mode = failure_mode.store-throttled
  workload     = workload.health
  expect       = "steady"
}
