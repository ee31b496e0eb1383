package dev.nest.bench;

import dev.nest.it.Fixtures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * nginx as a plain reverse proxy in front of one runtime host: one worker, a keep-alive upstream, HTTP/1.1 to
 * the host, the host's secret added to each request. The reference for what one well-built proxy hop costs.
 * Runs in the foreground ({@code daemon off}) from a private prefix directory, so it needs no root and leaves
 * nothing behind; {@link #close()} stops it.
 */
final class NginxProxy implements AutoCloseable {
    private final ChildProcesses children;
    private final Process process;
    private final int port;

    private NginxProxy(ChildProcesses children, Process process, int port) {
        this.children = children;
        this.process = process;
        this.port = port;
    }

    /** Starts nginx on a free loopback port proxying to {@code 127.0.0.1:upstreamPort}; waits until it answers. */
    static NginxProxy start(ChildProcesses children, String binary, Path dir, int upstreamPort, String secret,
                            String probePath) {
        int port = Fixtures.freePort();
        Path conf = dir.resolve("nginx.conf");
        Path log = dir.resolve("nginx.out");
        try {
            Files.createDirectories(dir.resolve("logs"));
            Files.createDirectories(dir.resolve("tmp"));
            Files.writeString(conf, config(dir, port, upstreamPort, secret));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Process p = children.start("nginx", List.of(binary, "-e", dir.resolve("logs/error.log").toString(),
                "-p", dir.toString() + "/", "-c", conf.toString()), Map.of(), dir, log);
        NginxProxy proxy = new NginxProxy(children, p, port);
        BenchHttp http = new BenchHttp();
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("nginx exited with " + p.exitValue() + ":\n" + ChildProcesses.tail(log, 20)
                        + "\n" + ChildProcesses.tail(dir.resolve("logs/error.log"), 20));
            }
            var r = http.probe(proxy.base() + probePath, Map.of());
            if (r.isPresent() && r.get().status() == 200) {
                return proxy;
            }
            BenchHttp.sleep(20);
        }
        proxy.close();
        throw new IllegalStateException("nginx did not answer 200 on " + probePath + " within 15 s:\n"
                + ChildProcesses.tail(dir.resolve("logs/error.log"), 20));
    }

    /** The configuration: the brief's reference setup, nothing tuned beyond it. */
    static String config(Path dir, int port, int upstreamPort, String secret) {
        String tmp = dir.resolve("tmp").toString();
        return """
                daemon off;
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/logs/error.log warn;
                events { worker_connections 1024; }
                http {
                    access_log off;
                    client_body_temp_path %2$s/body;
                    proxy_temp_path %2$s/proxy;
                    fastcgi_temp_path %2$s/fastcgi;
                    uwsgi_temp_path %2$s/uwsgi;
                    scgi_temp_path %2$s/scgi;
                    upstream host {
                        server 127.0.0.1:%3$d;
                        keepalive 32;
                    }
                    server {
                        listen 127.0.0.1:%4$d;
                        location / {
                            proxy_pass http://host;
                            proxy_http_version 1.1;
                            proxy_set_header Connection "";
                            proxy_set_header X-Nest-Secret %5$s;
                        }
                    }
                }
                """.formatted(dir, tmp, upstreamPort, port, secret);
    }

    String base() {
        return "http://127.0.0.1:" + port;
    }

    @Override
    public void close() {
        children.stop(process, Duration.ofSeconds(10));
    }
}
