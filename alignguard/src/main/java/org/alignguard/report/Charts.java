package org.alignguard.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.alignguard.tensor.io.AtomicWrite;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.LookupPaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The report's plots, drawn with JFreeChart and written as PNG (headless: no display needed). */
public final class Charts {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {}

    /** One line per series over x (e.g. the DPO loss of each expert over steps). */
    public static void lines(Path png, String title, String xLabel, String yLabel, Map<String, double[][]> series) throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        series.forEach((name, xy) -> {
            XYSeries s = new XYSeries(name, false, true);
            for (int i = 0; i < xy[0].length; i++) s.add(xy[0][i], xy[1][i]);
            data.addSeries(s);
        });
        JFreeChart chart = ChartFactory.createXYLineChart(title, xLabel, yLabel, data, PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < data.getSeriesCount(); i++) r.setSeriesStroke(i, new BasicStroke(1.6f));
        plot.setRenderer(r);
        style(chart);
        write(png, chart, 720, 420);
    }

    /** Grouped bars: one group per category, one bar per series (e.g. IP per category per method). */
    public static void bars(Path png, String title, String yLabel, List<String> groups, Map<String, Map<String, Double>> series) throws IOException {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        series.forEach((name, values) -> {
            for (String g : groups) {
                Double v = values.get(g);
                data.addValue(v == null || v.isNaN() ? null : v, name, g);
            }
        });
        JFreeChart chart = ChartFactory.createBarChart(title, null, yLabel, data, PlotOrientation.VERTICAL, true, false, false);
        style(chart);
        write(png, chart, 900, 420);
    }

    /** Labelled points (e.g. IP against a fidelity, one point per model), both axes from −0.05 to 1.1. */
    public static void scatter(Path png, String title, String xLabel, String yLabel, Map<String, double[]> points) throws IOException {
        scatter(png, title, xLabel, yLabel, points, true);
    }

    /** Labelled points; with {@code unitAxes} false the axes fit the data. */
    public static void scatter(Path png, String title, String xLabel, String yLabel, Map<String, double[]> points, boolean unitAxes) throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        XYSeries s = new XYSeries("models", false, true);
        points.values().forEach(p -> s.add(p[0], p[1]));
        data.addSeries(s);
        JFreeChart chart = ChartFactory.createScatterPlot(title, xLabel, yLabel, data, PlotOrientation.VERTICAL, false, false, false);
        XYPlot plot = chart.getXYPlot();
        points.forEach((name, p) -> {
            XYTextAnnotation a = new XYTextAnnotation(" " + name, p[0], p[1]);
            a.setTextAnchor(org.jfree.chart.ui.TextAnchor.BOTTOM_LEFT);
            a.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            plot.addAnnotation(a);
        });
        if (unitAxes) {
            ((NumberAxis) plot.getDomainAxis()).setRange(-0.05, 1.1);
            ((NumberAxis) plot.getRangeAxis()).setRange(-0.05, 1.1);
        } else {
            ((NumberAxis) plot.getDomainAxis()).setAutoRangeIncludesZero(true);
            plot.getDomainAxis().setUpperMargin(0.15);
        }
        style(chart);
        write(png, chart, 720, 560);
    }

    /** A heat map of values in [0, 1]: rows × columns (e.g. each expert's IP on each category). */
    public static void heatmap(Path png, String title, List<String> rows, List<String> cols, double[][] v) throws IOException {
        DefaultXYZDataset data = new DefaultXYZDataset();
        int n = rows.size() * cols.size();
        double[][] xyz = new double[3][n];
        for (int r = 0; r < rows.size(); r++)
            for (int c = 0; c < cols.size(); c++) {
                int i = r * cols.size() + c;
                xyz[0][i] = c;
                xyz[1][i] = r;
                xyz[2][i] = Double.isNaN(v[r][c]) ? -1 : v[r][c];
            }
        data.addSeries("values", xyz);
        LookupPaintScale scale = new LookupPaintScale(0, 1.0001, Color.WHITE);
        for (int k = 0; k <= 10; k++) {
            float f = k / 10f;
            scale.add(f - 0.05, new Color(1f, 1f - 0.85f * f, 1f - 0.85f * f));
        }
        XYBlockRenderer renderer = new XYBlockRenderer();
        renderer.setPaintScale(scale);
        SymbolAxis x = new SymbolAxis("category", cols.toArray(new String[0]));
        SymbolAxis y = new SymbolAxis("model", rows.toArray(new String[0]));
        XYPlot plot = new XYPlot(data, x, y, renderer);
        for (int r = 0; r < rows.size(); r++)
            for (int c = 0; c < cols.size(); c++) {
                double val = v[r][c];
                XYTextAnnotation a = new XYTextAnnotation(Double.isNaN(val) ? "–" : String.format(java.util.Locale.ROOT, "%.2f", val), c, r);
                a.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
                plot.addAnnotation(a);
            }
        JFreeChart chart = new JFreeChart(title, plot);
        chart.removeLegend();
        PaintScaleLegend legend = new PaintScaleLegend(scale, new NumberAxis("IP"));
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setMargin(4, 4, 40, 4);
        chart.addSubtitle(legend);
        style(chart);
        write(png, chart, 860, 120 + 46 * rows.size());
    }

    private static void style(JFreeChart chart) {
        chart.setBackgroundPaint(Color.WHITE);
        chart.getPlot().setBackgroundPaint(new Color(250, 250, 250));
        chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    }

    private static void write(Path png, JFreeChart chart, int w, int h) throws IOException {
        AtomicWrite.write(png, tmp -> ChartUtils.saveChartAsPNG(tmp.toFile(), chart, w, h));
    }
}
