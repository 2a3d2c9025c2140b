package org.alignguard.tensor.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.alignguard.tensor.Backend;
import org.alignguard.tensor.Backends;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.UnaryOp;
import org.junit.jupiter.api.Test;

class OpProfileTest {
    @Test
    void countsOutermostCallsByOpAndShapeAndForwardsResults() {
        Backend before = Backends.get();
        OpProfile prof = new OpProfile(before);
        Tensor a = Tensor.of(new float[] {1, -2, 3, -4, 5, -6}, 2, 3);
        Tensor expected = a.unary(UnaryOp.RELU);
        try {
            Backends.use(prof.backend());
            a.unary(UnaryOp.RELU);                      // not recording yet: untimed
            prof.recording(true);
            Tensor r = a.unary(UnaryOp.RELU);
            a.unary(UnaryOp.RELU);
            a.add(a);
            a.transpose(0, 1).contiguous();
            prof.recording(false);
            a.add(a);
            assertArrayEquals(expected.toArray(), r.toArray());
        } finally {
            Backends.use(before);
        }
        List<OpProfile.Row> rows = prof.rows();
        assertEquals(3, rows.size(), rows.stream().map(x -> x.key).toList().toString());
        OpProfile.Row relu = rows.stream().filter(x -> x.key.equals("unary RELU [2,3]")).findFirst().orElseThrow();
        assertEquals(2, relu.calls);
        assertTrue(rows.stream().anyMatch(x -> x.key.equals("binary ADD [2,3]") && x.calls == 1));
        assertTrue(rows.stream().anyMatch(x -> x.key.equals("contiguous [3,2]") && x.calls == 1));
        // The outputs' allocations happen inside the ops: they are not rows of their own.
        assertTrue(rows.stream().noneMatch(x -> x.method.equals("allocate")));
        String table = prof.table(prof.byMethod(), 10);
        assertTrue(table.contains("unary RELU") && table.contains("all backend calls"), table);
    }
}
