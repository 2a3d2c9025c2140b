/*
 * Draws a labelled scatter plot from a TSV (label, x, y; a header line first) with the report's
 * JFreeChart code. Used for the figures in docs/RESULTS.md:
 *   java --add-modules jdk.incubator.vector -cp "alignguard/target/alignguard.jar:alignguard/target/lib/*" \
 *        scripts/ScatterPlot.java IN.tsv OUT.png "title" "x label" "y label" [unit]
 * "unit" puts both axes on [−0.05, 1.1] (rates); otherwise they fit the data.
 */
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.report.Charts;

public class ScatterPlot {
    public static void main(String[] args) throws Exception {
        List<String> lines = Files.readAllLines(Path.of(args[0]));
        Map<String, double[]> points = new LinkedHashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) continue;
            String[] f = line.split("\t");
            points.put(f[0], new double[] {Double.parseDouble(f[1]), Double.parseDouble(f[2])});
        }
        Charts.scatter(Path.of(args[1]), args[2], args[3], args[4], points, args.length > 5 && args[5].equals("unit"));
        System.out.println("wrote " + args[1]);
    }
}
