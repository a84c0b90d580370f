package io.llt.cli.progress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Progress output without a terminal: a line per interval during an epoch, none when it is short. */
class ProgressListenerTest {
  @Test
  void logsProgressLinesOnlyOnceTheIntervalHasPassed() throws InterruptedException {
    StringWriter text = new StringWriter();
    ProgressListener slow =
        new ProgressListener(new PrintWriter(text), false, List.of("b1", "b2"), 60_000_000_000L);
    slow.onEpochStart(1, 3, 100, null);
    slow.onBatch(1, 100, new double[] {0.5, Double.NaN}, 10);
    assertThat(text.toString()).isEmpty();

    ProgressListener fast =
        new ProgressListener(new PrintWriter(text), false, List.of("b1", "b2"), 1_000_000L);
    fast.onEpochStart(2, 3, 100, "b1");
    Thread.sleep(5);
    fast.onBatch(40, 100, new double[] {0.25, Double.NaN}, 123);
    fast.onBatch(100, 100, new double[] {0.2, Double.NaN}, 123);
    String out = text.toString();
    assertThat(out.lines().toList()).hasSize(1);
    assertThat(out).startsWith("epoch 2/3 40/100  loss b1 0.2500  123 samples/s  ETA").doesNotContain("b2", "[#");
  }

  @Test
  void showsCachingProgressAndClearsTheBarWhenDone() throws InterruptedException {
    StringWriter logged = new StringWriter();
    ProgressListener log =
        new ProgressListener(new PrintWriter(logged), false, List.of("hebb", "readout"), 1_000_000L);
    log.onCachingFeatures("hebb");
    Thread.sleep(5);
    log.onCachingProgress(500, 2000);
    log.onCachingProgress(2000, 2000);
    List<String> lines = logged.toString().lines().toList();
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).startsWith("computing the frozen outputs of blocks up to 'hebb'");
    assertThat(lines.get(1)).startsWith("caching 500/2000 examples  ").contains("ETA").doesNotContain("[#");

    StringWriter shown = new StringWriter();
    ProgressListener term =
        new ProgressListener(new PrintWriter(shown), true, List.of("hebb", "readout"));
    term.onCachingFeatures("hebb");
    term.onCachingProgress(1000, 2000);
    String bar = "\rcaching [############............] 1000/2000 examples";
    assertThat(shown.toString()).contains(bar);
    int width = shown.toString().length() - shown.toString().indexOf(bar) - 1;
    term.onCachingProgress(2000, 2000);
    assertThat(shown.toString()).endsWith("\r" + " ".repeat(width) + "\r");
  }
}
