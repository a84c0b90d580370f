package io.llt.engine.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llt.engine.config.Schedule;
import io.llt.engine.memory.MemoryEstimate.BlockEstimate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** The totals of {@link MemoryEstimate} from hand-made block estimates. */
class MemoryEstimateTest {
  // fixed 100 + 10 + 200 + 6 = 316, step-fixed 4; per example: input 8, hand-off 5, working 20
  private static final BlockEstimate A = new BlockEstimate("a", 100, 10, 200, 6, 4, 8, 5, 20, 3);
  // fixed 1000 + 1000 + 0 + 0 = 2000; per example: input 5, no hand-off, working 7
  private static final BlockEstimate B = new BlockEstimate("b", 1000, 1000, 0, 0, 0, 5, 0, 7, 2);

  @Test
  void blockFiguresFollowTheirDefinitions() {
    assertThat(A.fixedBytes()).isEqualTo(316);
    assertThat(A.workspaceBytes(10)).isEqualTo(4 + 200);
    assertThat(A.batchBytes(10)).isEqualTo(10 * (20 + 5 + 8));
    assertThat(A.peakBytes(10)).isEqualTo(316 + 4 + 330);
    assertThat(B.peakBytes(0)).isEqualTo(2000);
  }

  @Test
  void localPeakAndResidentTakeTheLargestStep() {
    MemoryEstimate e = new MemoryEstimate(Schedule.SIMULTANEOUS, DataType.FLOAT, 1, List.of(A, B), null);
    assertThat(e.fixedBytes()).isEqualTo(2316);
    // batch 10: A's step 4 + 330 = 334 beats B's 120
    assertThat(e.localPeakBytes(10)).isEqualTo(2316 + 334);
    // one shared workspace (+ 1024 safety bytes) as large as the largest step, one hand-off buffer
    // as large as the largest, plus the batch
    assertThat(e.residentBytes(10))
        .isEqualTo(2316 + 204 + 1024 + 10 * 5 + 10 * 8);
    MemoryEstimate three =
        new MemoryEstimate(Schedule.SIMULTANEOUS, DataType.FLOAT, 1, List.of(A, A, B), null);
    assertThat(three.residentBytes(10))
        .isEqualTo(2632 + 204 + 1024 + 10 * 5 + 10 * 8);
    assertThatThrownBy(() -> e.backpropPeakBytes(10))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("no backprop baseline");
    MemoryEstimate withBaseline =
        new MemoryEstimate(Schedule.SIMULTANEOUS, DataType.FLOAT, 1, List.of(A, B), B);
    assertThat(withBaseline.backpropPeakBytes(10)).isEqualTo(2000 + 120);
  }

  @Test
  void rejectsAnEmptyChainAndRowsBelowOne() {
    assertThatThrownBy(
            () -> new MemoryEstimate(Schedule.SIMULTANEOUS, DataType.FLOAT, 0, List.of(A), null))
        .hasMessageContaining("rowsPerExample must be >= 1, found 0");
    assertThatThrownBy(
            () -> new MemoryEstimate(Schedule.SIMULTANEOUS, DataType.FLOAT, 1, List.of(), null))
        .hasMessageContaining("blocks must not be empty");
  }
}
