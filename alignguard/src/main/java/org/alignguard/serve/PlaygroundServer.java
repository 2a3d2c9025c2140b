package org.alignguard.serve;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The classroom playground's web server (Javalin): one static page, and a small JSON API behind it.
 * <pre>
 *   GET  /                 the page (index.html, playground.js, playground.css; plain files, no build step)
 *   GET  /api/setup        vocabulary, examples, experts, models, merges, defaults and limits ({@link PageSetup})
 *   POST /api/draw         one panel's picture ({@link DrawRequest} in, {@link Drawing} out)
 *   POST /api/cancel       {"client": ..., "round": n}: the page no longer wants rounds up to n
 * </pre>
 * Answers: 200 with the drawing; 400 with {"error": ...} for a request it cannot draw; 409 when the
 * page's newer request replaced it; 503 when every worker is busy and the queue is full, when a
 * Co-Merge of the page's experts comes before Co-Merge's activations are measured (both with
 * Retry-After), or when a drawing took longer than {@link #DRAW_TIMEOUT_S}; 413 for a body over
 * {@link #MAX_BODY}. Errors are one line of JSON, never a stack trace. The
 * server reads the models folder and its own page, and writes nothing.
 */
public final class PlaygroundServer implements AutoCloseable {
    /** How long a request may wait and draw before it is answered 503, so no request hangs. */
    public static final long DRAW_TIMEOUT_S = 120;
    /**
     * Bodies above this size are refused before they are read (413). A prompt is at most 500
     * characters, but a 100 kB one still gets its own 400 message, which says how long it was.
     */
    static final long MAX_BODY = 128 << 10;

    /** Where and how to serve: the address, the port (0: any free one), the workers and the queue's capacity. */
    public record Options(String host, int port, int workers, int queue) {}

    private static final Gson GSON = new Gson();
    private final Javalin app;
    private final DrawQueue queue;
    private final CoMergeActivations activations;

    private PlaygroundServer(Javalin app, DrawQueue queue, CoMergeActivations activations) {
        this.app = app;
        this.queue = queue;
        this.activations = activations;
    }

    /**
     * Loads a copy of the model per worker, warms every worker up with one small drawing, starts
     * listening, and starts measuring Co-Merge's activations in the background (until they are
     * there, a request for a Co-Merge of the page's experts is answered 503 with Retry-After). A port
     * in use is an IOException saying so.
     */
    public static PlaygroundServer start(Shelf shelf, Options o) throws IOException {
        CoMergeActivations activations = new CoMergeActivations();
        MergeCache merges = new MergeCache(shelf.experts, activations::get);
        List<Drawer> drawers = new ArrayList<>();
        for (int i = 0; i < o.workers(); i++) drawers.add(new Drawer(shelf, merges));
        DrawRequest warmUp = new DrawRequest(null, 0, "a red circle in the centre on a navy background", 0, 2, 3f, "base", Mix.of("sum", 0, Map.of()));
        for (Drawer d : drawers) d.draw(warmUp, new Ticket(null, 0));
        DrawQueue queue = new DrawQueue(drawers, o.queue());
        String setup = GSON.toJson(PageSetup.of(shelf));
        Javalin app = Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.startup.showOldJavalinVersionWarning = false;
            cfg.http.maxRequestSize = MAX_BODY;
            cfg.jetty.host = o.host();
            cfg.jetty.port = o.port();
            cfg.routes.get("/", ctx -> page(ctx, "index.html", "text/html; charset=utf-8"));
            cfg.routes.get("/playground.js", ctx -> page(ctx, "playground.js", "text/javascript; charset=utf-8"));
            cfg.routes.get("/playground.css", ctx -> page(ctx, "playground.css", "text/css; charset=utf-8"));
            cfg.routes.get("/api/setup", ctx -> ctx.contentType("application/json").result(setup));
            cfg.routes.post("/api/draw", ctx -> draw(ctx, shelf, queue, activations));
            cfg.routes.post("/api/cancel", ctx -> cancel(ctx, queue));
            cfg.routes.exception(BadRequest.class, (e, ctx) -> error(ctx, 400, e.getMessage()));
            cfg.routes.exception(DrawQueue.Busy.class, (e, ctx) -> {
                ctx.header("Retry-After", "1");
                error(ctx, 503, e.getMessage());
            });
            cfg.routes.exception(CoMergeActivations.NotReady.class, (e, ctx) -> notReady(ctx, e));
            cfg.routes.exception(Ticket.Cancelled.class, (e, ctx) -> error(ctx, 409, e.getMessage()));
            cfg.routes.exception(Exception.class, (e, ctx) -> {
                System.err.println("playground: " + e);
                error(ctx, 500, "internal error: " + oneLine(e));
            });
            cfg.routes.error(404, ctx -> error(ctx, 404, "no such page: " + ctx.path()));
            cfg.routes.error(413, ctx -> error(ctx, 413, "the request is larger than " + MAX_BODY / 1024 + " kB; a prompt is at most " + DrawRequest.MAX_PROMPT + " characters"));
        });
        try {
            app.start();
        } catch (RuntimeException e) {
            queue.close();
            throw new IOException("cannot listen on " + o.host() + ":" + o.port() + " (" + oneLine(e.getCause() != null ? e.getCause() : e) + "); is another server using that port? pass --port", e);
        }
        activations.measure(shelf);
        return new PlaygroundServer(app, queue, activations);
    }

    public int port() { return app.port(); }

    /** Waits until Co-Merge's activations are measured (or measuring failed), at most {@code seconds}; whether they are done. */
    public boolean awaitCoMerge(long seconds) { return activations.await(seconds); }

    /**
     * The body as UTF-8, as JSON is (RFC 8259). Not {@code ctx.body()}: it decodes with the charset
     * the request names, and "charset=bogus" would be an exception, answered 500.
     */
    private static String body(Context ctx) {
        return new String(ctx.bodyAsBytes(), StandardCharsets.UTF_8);
    }

    private static void draw(Context ctx, Shelf shelf, DrawQueue queue, CoMergeActivations activations) {
        DrawRequest r = DrawRequest.parse(body(ctx), shelf);
        if (r.model().equals("mix") && r.mix().needsActivations()) activations.get();   // 503 now rather than a worker kept waiting
        DrawQueue.Job job = queue.submit(r);
        ctx.future(() -> job.result().orTimeout(DRAW_TIMEOUT_S, TimeUnit.SECONDS).handle((d, e) -> {
            Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (c == null) ctx.contentType("application/json").result(GSON.toJson(d));
            else if (c instanceof Ticket.Cancelled) error(ctx, 409, c.getMessage());
            else if (c instanceof CoMergeActivations.NotReady n) notReady(ctx, n);
            else if (c instanceof TimeoutException) {
                job.ticket().cancel();
                error(ctx, 503, "the drawing took longer than " + DRAW_TIMEOUT_S + " s; try fewer steps");
            } else {
                System.err.println("playground: " + c);
                error(ctx, 500, "internal error: " + oneLine(c));
            }
            return null;
        }));
    }

    private static void cancel(Context ctx, DrawQueue queue) {
        JsonObject o;
        try {
            o = GSON.fromJson(body(ctx), JsonObject.class);
            if (o == null || !o.has("client") || !o.has("round")) throw new IllegalArgumentException();
            queue.cancel(o.get("client").getAsString(), o.get("round").getAsLong());
        } catch (RuntimeException e) {
            throw new BadRequest("a cancel needs {\"client\": \"...\", \"round\": n}");
        }
        ctx.contentType("application/json").result("{\"cancelled\":true}");
    }

    private static void page(Context ctx, String name, String type) throws IOException {
        try (InputStream in = PlaygroundServer.class.getResourceAsStream("/serve/" + name)) {
            if (in == null) throw new IOException("the page's file " + name + " is missing from the classpath");
            ctx.contentType(type).result(in.readAllBytes());
        }
    }

    private static void notReady(Context ctx, CoMergeActivations.NotReady e) {
        if (e.retryAfterS > 0) ctx.header("Retry-After", Integer.toString(e.retryAfterS));
        error(ctx, 503, e.getMessage());
    }

    private static void error(Context ctx, int status, String message) {
        JsonObject o = new JsonObject();
        o.addProperty("error", message);
        ctx.status(status).contentType("application/json").result(GSON.toJson(o));
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.replace('\n', ' ');
    }

    @Override public void close() {
        app.stop();
        queue.close();
    }
}
