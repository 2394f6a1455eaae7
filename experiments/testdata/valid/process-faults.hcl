# Every fault kind that acts on a process, and every process argument.

experiment "process-faults" {
  baseline = "5s"
  fault    = "1s"
  recovery = "1s"
  window   = "500ms"
}

component "worker" {
  function = "Process orders from the queue"
  address  = "localhost:9000"
  process {
    command = ["./worker", "--listen=${self.host}:${self.port}", "--queue", component.queue.url]
    dir     = "services/worker"
    env = {
      QUEUE_HOST = component.queue.host
      QUEUE_PORT = component.queue.port
      SELF       = self.listen
      SELF_URL   = component.worker.url
    }
    listen = "127.0.0.1:9001"
    ready {
      http    = "/ready"
      timeout = "30s"
    }
  }
}

component "queue" {
  process {
    command = ["/usr/local/bin/queue", self.listen]
    dir     = "/srv/queue"
    ready {
      timeout = "2s"
    }
  }
}

workload "orders" {
  http {
    target = component.worker
    path   = "/orders"
    rate   = 2
  }
}

failure_mode "worker-crash" {
  component  = component.worker
  cause      = "Out of memory"
  effect     = "Orders wait in the queue"
  severity   = 7
  occurrence = 3
  detection  = 2
  fault "kill" {}
  fault "kill" {
    signal = "SIGTERM"
  }
}

failure_mode "worker-stall" {
  component  = component.worker
  severity   = 6
  occurrence = 2
  detection  = 7
  fault "pause" {}
}

failure_mode "queue-restart" {
  component  = component.queue
  severity   = 3
  occurrence = 6
  detection  = 1
  fault "restart" {}
}

hypothesis "orders-recover-after-crash" {
  failure_mode = failure_mode.worker-crash
  workload     = workload.orders
  expect       = "recovers"
  within       = "900ms"
}

hypothesis "orders-steady-on-queue-restart" {
  failure_mode = failure_mode.queue-restart
  workload     = workload.orders
  expect       = "steady"
}

hypothesis "orders-recover-after-stall" {
  failure_mode = failure_mode.worker-stall
  workload     = workload.orders
  expect       = "recovers"
  within       = "500ms"
}
