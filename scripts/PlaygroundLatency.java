import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * How long the playground takes to answer a press of Draw: the page's four panels (base, your merge
 * of the seven experts with Co-Merge γ = 3, the shipped Co-Merge, ESD-u) asked at once, as the page
 * asks them, timed from the first request out to the last answer in. Two kinds of rounds:
 * <ul>
 *   <li>{@code same-mix}: a new seed each round, the same experts and scales (the merged update comes
 *       from the cache);</li>
 *   <li>{@code new-mix}: a new seed and a new scale of one expert each round (a slider moved: the
 *       merge is computed again).</li>
 * </ul>
 * Prints one JSON line per kind: rounds, median, 90th percentile, min and max in ms. The first round
 * of each kind is a warm-up and not counted. Only the JDK is needed:
 * <pre>
 *   ./alignguard.sh serve &amp;                                  # wait for "playground at ..."
 *   java scripts/PlaygroundLatency.java http://127.0.0.1:8080/ [rounds, default 20] [steps, default 10]
 * </pre>
 */
public class PlaygroundLatency {
    static final String PROMPT = "a red circle in the centre on a navy background, with blood";
    static final String[] EXPERTS = {"harassment", "hate", "illegal-activity", "self-harm", "sexual", "shocking", "violence"};
    static final String[] MODELS = {"base", "mix", "co-merge", "esd-u"};

    public static void main(String[] args) throws Exception {
        String url = args.length > 0 ? args[0] : "http://127.0.0.1:8080/";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 20, steps = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        for (String kind : List.of("same-mix", "new-mix")) {
            double[] ms = new double[rounds];
            for (int r = 0; r <= rounds; r++) {
                float scale = kind.equals("new-mix") ? 1f - 0.01f * (r + 1) : 1f;
                long t0 = System.nanoTime();
                List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
                for (String m : MODELS) sent.add(http.sendAsync(request(url, m, 1000 + r, steps, scale), HttpResponse.BodyHandlers.ofString()));
                for (var f : sent) {
                    HttpResponse<String> a = f.join();
                    if (a.statusCode() != 200) throw new IllegalStateException("status " + a.statusCode() + ": " + a.body());
                }
                if (r > 0) ms[r - 1] = (System.nanoTime() - t0) / 1e6;
            }
            Arrays.sort(ms);
            System.out.printf(Locale.ROOT, "{\"bench\":\"playground-4-images\",\"kind\":\"%s\",\"steps\":%d,\"rounds\":%d,\"median_ms\":%.0f,\"p90_ms\":%.0f,\"min_ms\":%.0f,\"max_ms\":%.0f,\"cores\":%d}%n",
                    kind, steps, rounds, ms[rounds / 2], ms[(int) Math.min(rounds - 1, Math.ceil(0.9 * rounds) - 1)], ms[0], ms[rounds - 1], Runtime.getRuntime().availableProcessors());
        }
    }

    static HttpRequest request(String url, String model, long seed, int steps, float violenceScale) {
        StringBuilder experts = new StringBuilder();
        for (String e : EXPERTS) experts.append(experts.isEmpty() ? "" : ",").append('"').append(e).append("\":").append(e.equals("violence") ? violenceScale : 1f);
        String body = String.format(Locale.ROOT, "{\"client\":\"latency\",\"prompt\":\"%s\",\"seed\":%d,\"steps\":%d,\"guidance\":3,\"model\":\"%s\",\"experts\":{%s},\"merge\":\"co-merge\",\"gamma\":3}",
                PROMPT, seed, steps, model, experts);
        return HttpRequest.newBuilder(URI.create(url + "api/draw")).timeout(Duration.ofSeconds(120)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }
}
