package org.alignguard.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.alignguard.serve.PlaygroundServer;
import org.alignguard.serve.Shelf;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The classroom playground: a local web page where a prompt is drawn by the base model and the
 * aligned models side by side. It runs until stopped (Ctrl-C) and writes nothing.
 */
@Command(name = "serve", description = "Start the classroom playground: a local web page that draws a prompt with the base model, the experts, their merges and the baselines side by side.")
final class ServeCommand implements Callable<Integer> {
    /** At least this many workers are allowed whatever the machine; more where it has more than 8 cores. */
    static final int MAX_WORKERS = 16;
    static final int MAX_QUEUE = 1000;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on, an IP address or localhost (default: ${DEFAULT-VALUE}, this machine only; 0.0.0.0 opens it to the network).") String host;
    @Option(names = "--port", defaultValue = "8080", description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).") int port;
    @Option(names = "--models", paramLabel = "DIR", description = "The models folder: base.safetensors, classifier.safetensors, experts/, co-merge.safetensors, baselines/ (default: the shipped models/).") Path models;
    @Option(names = "--workers", defaultValue = "0", description = "Drawings made at once, each worker with its own copy of the model (default: 0, one per core).") int workers;
    @Option(names = "--queue", defaultValue = "16", description = "Drawings that may wait for a worker; beyond that a request is answered 503 (default: ${DEFAULT-VALUE}).") int queue;

    @Override public Integer call() throws IOException, InterruptedException {
        if (port < 0 || port > 65535) throw new UserError("--port must be between 0 and 65535, got " + port);
        // Each worker holds its own copy of the model, and more workers than cores only share them:
        // the caps keep a typo (--workers 5000) from filling the memory.
        int maxWorkers = Math.max(MAX_WORKERS, 2 * Runtime.getRuntime().availableProcessors());
        if (workers < 0 || workers > maxWorkers)
            throw new UserError("--workers must be 0 (one per core) up to " + maxWorkers + " (twice the cores, at least " + MAX_WORKERS + "), got " + workers);
        if (workers == 0) workers = Runtime.getRuntime().availableProcessors();
        Outputs.positive("--queue", queue);
        if (queue > MAX_QUEUE) throw new UserError("--queue must be at most " + MAX_QUEUE + " (a longer queue only makes students wait longer), got " + queue);
        checkHost(host);
        Path dir = models != null ? models : Outputs.home().resolve("models");
        Shelf shelf;
        try {
            shelf = Shelf.load(dir);
        } catch (IOException | RuntimeException e) {
            throw new UserError(e.getMessage(), 2, e);
        }
        System.out.printf("loaded %s: %d experts, %d whole LoRAs, %d baselines; starting %d workers...%n", dir, shelf.experts.size(), shelf.loras.size(), shelf.baselines.size(), workers);
        PlaygroundServer server;
        try {
            server = PlaygroundServer.start(shelf, new PlaygroundServer.Options(host, port, workers, queue));
        } catch (IOException e) {
            throw new UserError(e.getMessage(), 2, e);
        }
        String shown = host.contains(":") ? "[" + host + "]" : host;
        System.out.printf("playground at http://%s:%d/ (Ctrl-C stops it)%n", shown, server.port());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }));
        stopped.await();
        return 0;
    }

    /** An IP address or localhost; a host name would need a DNS lookup, and could resolve to anything. */
    static void checkHost(String host) {
        if (host.equals("localhost")) return;
        try {
            InetAddress.ofLiteral(host);
        } catch (IllegalArgumentException e) {
            throw new UserError("--host must be an IP address (127.0.0.1, ::1, 0.0.0.0) or localhost, got '" + host + "'");
        }
    }
}
