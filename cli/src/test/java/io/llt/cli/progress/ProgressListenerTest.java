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
}
