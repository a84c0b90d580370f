package io.llt.cli.report;

import io.llt.cli.report.ProfileReport.BlockMemory;
import io.llt.cli.report.ProfileReport.DepthPoint;
import io.llt.cli.report.ProfileReport.NativeSample;
import io.llt.cli.report.ProfileReport.ScheduleProfile;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Rectangle;
import java.awt.geom.Ellipse2D;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.text.NumberFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.text.TextUtils;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.MeetOrSlice;
import org.jfree.svg.PreserveAspectRatio;
import org.jfree.svg.SVGGraphics2D;
import org.jfree.svg.ViewBox;

/**
 * The charts of {@code report.html}: JFreeChart charts drawn into JFreeSVG and returned as inline
 * {@code <svg>} elements, so the page needs neither JavaScript nor the network. Requires a headless
 * AWT ({@link ReportWriter} sets {@code java.awt.headless}).
 */
final class ReportCharts {
  /** Bytes per MiB. */
  static final double MIB = 1024.0 * 1024.0;

  private static final int WIDTH = 960;
  private static final int HEIGHT = 480;
  private static final Color LOCAL = new Color(0x1f, 0x77, 0xb4);
  private static final Color BACKPROP = new Color(0xff, 0x7f, 0x0e);
  private static final Color ESTIMATED = new Color(0x9e, 0xc5, 0xe8);
  private static final Color MEASURED = new Color(0x2c, 0x5f, 0x8a);
  private static final Color ACTIVATION = new Color(0x2c, 0xa0, 0x2c);
  private static final Color GRID = new Color(0xd0, 0xd0, 0xd0);

  /** A rendered chart: a stable id, a caption and the inline SVG element. */
  record Chart(String id, String caption, String svg) {}

  static {
    // JFreeChart draws rotated text (the vertical axis labels) as glyph outlines by default, a
    // workaround for an old JDK bug; plain drawString under a rotation gives SVG <text> instead,
    // which stays selectable and searchable in the page.
    TextUtils.setUseDrawRotatedStringWorkaround(false);
  }

  private ReportCharts() {}

  /**
   * Returns the report's charts in page order: per-block peaks, totals, memory over time, and peak
   * against depth when the report has a depth sweep.
   */
  static List<Chart> all(ProfileReport report) {
    List<Chart> charts = new ArrayList<>();
    charts.add(
        new Chart(
            "chart-block-peaks",
            "Estimated against measured peak native memory of each block, for both schedules.",
            svg(blockPeaks(report), "chart-block-peaks")));
    charts.add(
        new Chart(
            "chart-peak-totals",
            "Peak native and heap memory of the whole run, local schedule against backprop.",
            svg(peakTotals(report), "chart-peak-totals")));
    charts.add(
        new Chart(
            "chart-native-over-time",
            "Native memory sampled during each schedule's run.",
            svg(nativeOverTime(report), "chart-native-over-time")));
    if (report.hasDepthSweep()) {
      charts.add(
          new Chart(
              "chart-peak-vs-depth",
              "Peak native memory against the number of blocks.",
              svg(peakVsDepth(report), "chart-peak-vs-depth")));
    }
    return charts;
  }

  static JFreeChart blockPeaks(ProfileReport report) {
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    addBlocks(data, "local", report.local());
    addBlocks(data, "backprop", report.backprop());
    JFreeChart chart =
        ChartFactory.createBarChart(
            "Per-block peak memory: estimated vs measured",
            "block (side: id)",
            "peak native memory (MiB)",
            data,
            PlotOrientation.VERTICAL,
            true,
            false,
            false);
    CategoryPlot plot = styleCategory(chart);
    BarRenderer renderer = (BarRenderer) plot.getRenderer();
    renderer.setSeriesPaint(0, ESTIMATED);
    renderer.setSeriesPaint(1, MEASURED);
    renderer.setItemMargin(0.05);
    if (data.getColumnCount() > 8) {
      plot.getDomainAxis().setCategoryLabelPositions(CategoryLabelPositions.UP_45);
    }
    return chart;
  }

  private static void addBlocks(DefaultCategoryDataset data, String prefix, ScheduleProfile side) {
    for (BlockMemory b : side.blocks()) {
      String column = prefix + ": " + b.blockId();
      data.addValue(b.estimatedPeakBytes() / MIB, "estimated peak", column);
      data.addValue(b.measuredPeakBytes() / MIB, "measured peak", column);
    }
  }

  static JFreeChart peakTotals(ProfileReport report) {
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    for (int i = 0; i < 2; i++) {
      ScheduleProfile side = i == 0 ? report.local() : report.backprop();
      String series = label(side, i == 0);
      data.addValue(side.peakNativeBytes() / MIB, series, "peak native");
      data.addValue(side.peakHeapBytes() / MIB, series, "peak JVM heap");
    }
    JFreeChart chart =
        ChartFactory.createBarChart(
            "Peak memory: local vs backprop",
            "measure",
            "peak memory (MiB)",
            data,
            PlotOrientation.VERTICAL,
            true,
            false,
            false);
    CategoryPlot plot = styleCategory(chart);
    BarRenderer renderer = (BarRenderer) plot.getRenderer();
    renderer.setSeriesPaint(0, LOCAL);
    renderer.setSeriesPaint(1, BACKPROP);
    renderer.setDefaultItemLabelGenerator(
        new StandardCategoryItemLabelGenerator("{2}", mibFormat()));
    renderer.setDefaultItemLabelsVisible(true);
    renderer.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    renderer.setMaximumBarWidth(0.2);
    plot.getRangeAxis().setUpperMargin(0.12);
    return chart;
  }

  static JFreeChart nativeOverTime(ProfileReport report) {
    XYSeriesCollection data = new XYSeriesCollection();
    for (int i = 0; i < 2; i++) {
      ScheduleProfile side = i == 0 ? report.local() : report.backprop();
      XYSeries series = new XYSeries(label(side, i == 0), false, true);
      for (NativeSample s : side.samples()) {
        series.add(s.elapsedMillis() / 1000.0, s.nativeBytes() / MIB);
      }
      data.addSeries(series);
    }
    JFreeChart chart =
        ChartFactory.createXYLineChart(
            "Native memory over time",
            "elapsed time (s)",
            "native memory (MiB)",
            data,
            PlotOrientation.VERTICAL,
            true,
            false,
            false);
    XYPlot plot = styleXy(chart);
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
    renderer.setSeriesPaint(0, LOCAL);
    renderer.setSeriesPaint(1, BACKPROP);
    renderer.setSeriesStroke(0, new BasicStroke(2f));
    renderer.setSeriesStroke(1, new BasicStroke(2f));
    plot.setRenderer(renderer);
    return chart;
  }

  static JFreeChart peakVsDepth(ProfileReport report) {
    XYSeries local = new XYSeries("local peak (" + report.local().schedule() + ")", true, false);
    XYSeries backprop = new XYSeries("backprop peak", true, false);
    XYSeries variable = new XYSeries("local activation + working (peak minus fixed bytes)", true, false);
    for (DepthPoint p : report.depthSweep()) {
      local.add(p.depth(), p.localPeakBytes() / MIB);
      backprop.add(p.depth(), p.backpropPeakBytes() / MIB);
      variable.add(p.depth(), p.localActivationAndWorkingBytes() / MIB);
    }
    XYSeriesCollection data = new XYSeriesCollection();
    data.addSeries(local);
    data.addSeries(backprop);
    data.addSeries(variable);
    JFreeChart chart =
        ChartFactory.createXYLineChart(
            "Peak memory vs depth",
            "depth (blocks)",
            "peak native memory (MiB)",
            data,
            PlotOrientation.VERTICAL,
            true,
            false,
            false);
    XYPlot plot = styleXy(chart);
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
    Color[] colors = {LOCAL, BACKPROP, ACTIVATION};
    for (int i = 0; i < colors.length; i++) {
      renderer.setSeriesPaint(i, colors[i]);
      renderer.setSeriesStroke(i, new BasicStroke(2f));
      renderer.setSeriesShape(i, new Ellipse2D.Double(-4, -4, 8, 8));
    }
    renderer.setSeriesStroke(
        2,
        new BasicStroke(
            2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
    plot.setRenderer(renderer);
    ((NumberAxis) plot.getDomainAxis()).setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    return chart;
  }

  /**
   * Returns how a schedule is named in legends and headings: {@code local (simultaneous)} for the
   * local side, the schedule name ({@code backprop}) for the baseline.
   */
  static String label(ScheduleProfile side, boolean local) {
    return local ? "local (" + side.schedule() + ")" : side.schedule();
  }

  private static CategoryPlot styleCategory(JFreeChart chart) {
    styleChart(chart);
    CategoryPlot plot = chart.getCategoryPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(GRID);
    plot.setOutlineVisible(false);
    BarRenderer renderer = (BarRenderer) plot.getRenderer();
    renderer.setBarPainter(new StandardBarPainter());
    renderer.setShadowVisible(false);
    CategoryAxis domain = plot.getDomainAxis();
    domain.setCategoryMargin(0.25);
    ((NumberAxis) plot.getRangeAxis()).setNumberFormatOverride(mibFormat());
    return plot;
  }

  private static XYPlot styleXy(JFreeChart chart) {
    styleChart(chart);
    XYPlot plot = chart.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(GRID);
    plot.setRangeGridlinePaint(GRID);
    plot.setOutlineVisible(false);
    NumberAxis range = (NumberAxis) plot.getRangeAxis();
    range.setAutoRangeIncludesZero(true);
    range.setNumberFormatOverride(mibFormat());
    return plot;
  }

  private static void styleChart(JFreeChart chart) {
    chart.setBackgroundPaint(Color.WHITE);
    chart.setAntiAlias(true);
    chart.setTextAntiAlias(true);
    chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
    LegendTitle legend = chart.getLegend();
    legend.setPosition(RectangleEdge.BOTTOM);
    legend.setFrame(BlockBorder.NONE);
  }

  /** Draws the chart into an SVG element that scales to its container's width. */
  static String svg(JFreeChart chart, String id) {
    SVGGraphics2D g2 = new SVGGraphics2D(WIDTH, HEIGHT);
    g2.setDefsKeyPrefix(id + "-");
    chart.draw(g2, new Rectangle(0, 0, WIDTH, HEIGHT));
    return g2.getSVGElement(
        id + "-svg",
        false,
        new ViewBox(0, 0, WIDTH, HEIGHT),
        PreserveAspectRatio.XMID_YMID,
        MeetOrSlice.MEET);
  }

  /** Returns a new tick and item-label format for MiB values (formats are not thread-safe). */
  private static NumberFormat mibFormat() {
    return new DecimalFormat("#,##0.##", DecimalFormatSymbols.getInstance(Locale.ROOT));
  }
}
