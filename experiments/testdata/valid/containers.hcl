# Every container argument, and every fault kind a container accepts with
# every argument it takes.

experiment "containers" {
  baseline = "10s"
  fault    = "2s"
  recovery = "2s"
  window   = "1s"
}

component "frontend" {
  function = "Serve the shop"
  container {
    image   = "faultline/frontend:dev"
    command = ["/frontend", "-listen", self.listen, "-cache", component.cache.url]
    env = {
      STORE_ADDR = component.store.address
      STORE_HOST = component.store.host
      STORE_PORT = component.store.port
      SELF       = "${self.host}:${self.port}"
      SELF_URL   = component.frontend.url
    }
    port   = 8080
    cpus   = 0.5
    memory = "256MiB"
    build {
      context = "containers/frontend"
    }
    ready {
      http    = "/healthz"
      timeout = "45s"
    }
  }
}

component "cache" {
  container {
    image  = "faultline/cache"
    port   = 6379
    memory = 134217728
    build {
      context    = "containers"
      dockerfile = "cache/Dockerfile.cache"
    }
    ready {
      log = "^listening on :[0-9]+$"
    }
  }
}

component "store" {
  container {
    image  = "registry.local:5000/shop/store:v1.2"
    port   = 9090
    memory = "1.5GB"
  }
}

# A process reaches a container through the host port mapped to it.
component "admin" {
  process {
    command = ["./admin", self.listen, component.store.url]
  }
}

workload "browse" {
  http {
    target = component.frontend
    rate   = 20
  }
}

failure_mode "cache-gone" {
  component  = component.cache
  severity   = 7
  occurrence = 3
  detection  = 2
  fault "kill" {}
  fault "kill" {
    signal = "SIGTERM"
  }
  fault "stop" {}
  fault "restart" {}
  fault "pause" {}
  fault "partition" {}
}

failure_mode "cache-starved" {
  component  = component.cache
  severity   = 5
  occurrence = 4
  detection  = 6
  fault "cpu" {
    cpus = 0.1
  }
  fault "memory" {
    limit = "64MiB"
  }
  fault "memory" {
    limit = 8388608
  }
}

failure_mode "cache-flushed" {
  component  = component.cache
  severity   = 4
  occurrence = 5
  detection  = 5
  fault "exec" {
    command = ["/cache", "-flush"]
    revert  = ["/cache", "-warm", "--keys=all"]
  }
  fault "exec" {
    command = ["/cache", "-evict", "50"]
  }
}

failure_mode "store-network" {
  component  = component.store
  severity   = 6
  occurrence = 4
  detection  = 4
  fault "loss" {
    percent = 30
  }
  fault "loss" {
    percent = 100
  }
  fault "bandwidth" {
    rate = "64KB/s"
  }
}

failure_mode "store-link" {
  component  = component.store
  severity   = 6
  occurrence = 3
  detection  = 5
  fault "latency" {
    delay     = "200ms"
    jitter    = "20ms"
    direction = "upstream"
    toxicity  = 0.5
  }
  fault "jitter" {
    jitter = "50ms"
  }
  fault "timeout" {
    after = "1s"
  }
  fault "reset" {
    after     = "100ms"
    direction = "upstream"
    toxicity  = 0.2
  }
  fault "http_error" {
    status   = 502
    fraction = 0.25
  }
}

hypothesis "browse-recovers-from-cache-loss" {
  failure_mode = failure_mode.cache-gone
  workload     = workload.browse
  expect       = "recovers"
  within       = "1s"
}

hypothesis "browse-steady-on-slow-store" {
  failure_mode = failure_mode.store-link
  workload     = workload.browse
  expect       = "steady"
}
