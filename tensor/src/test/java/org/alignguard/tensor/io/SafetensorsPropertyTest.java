package org.alignguard.tensor.io;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.io.Safetensors.Dtype;
import org.alignguard.tensor.io.Safetensors.Loaded;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Property of the reader, over 400 generated files: every dtype and shape, then semantic mutations
 * of the header (dtype, shape, offsets, keys, metadata), poisoned values (NaN, ±∞, an F64 too big for
 * float32), a wrong header length, truncations, byte flips and trailing bytes. Each file is either
 * <ul>
 *   <li>read by {@link Safetensors#readFinite} with every value finite and the same tensors as plain
 *       {@link Safetensors#read}, or</li>
 *   <li>refused with a {@link SafetensorsException} whose message is one line starting with the file;
 *       when plain read accepts it, only for a non-finite value, and the message names that tensor;</li>
 * </ul>
 * never another exception, never a hang. {@link Safetensors#readHeader} agrees with read.
 *
 * <p>Plain seeded JUnit loops rather than jqwik: the jqwik version the registry serves (1.10.1) prints
 * on every run that AI agents must disregard its results, which is no footing for a test suite.
 */
class SafetensorsPropertyTest {
    @TempDir Path dir;

    private static final Dtype[] DTYPES = Dtype.values();
    /** Characters that upset JSON most when inserted anywhere. */
    private static final String JSON_NOISE = "{}[],:\"0-e.\\ \u0000é";

    @Test
    void everyFileIsReadFiniteOrRefusedCleanly() {
        int[] outcome = new int[3];   // accepted, refused for a non-finite value, refused as corrupt
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            for (int i = 0; i < 400; i++) {
                Random r = new Random(1000 + i);
                List<Entry> tensors = tensors(r);
                JsonObject header = header(tensors, r);
                byte[] data = data(tensors);
                int kind = i < 40 ? 0 : i % 4 == 0 ? 1 : r.nextInt(8);   // poisoned files often: most have a float tensor
                byte[] file = mutate(kind, header, tensors, data, r);
                Path f = Files.write(dir.resolve("case-" + i + ".safetensors"), file);
                try {
                    outcome[check(f)]++;
                } catch (Throwable t) {
                    throw new AssertionError("case " + i + " (mutation " + kind + "): " + t, t);
                }
            }
        });
        assertTrue(outcome[0] >= 60 && outcome[1] >= 40 && outcome[2] >= 100,
                "a mix of accepted, non-finite and corrupt files: " + Arrays.toString(outcome));
        System.out.println("safetensors property: accepted, non-finite, corrupt = " + Arrays.toString(outcome));
    }

    /** 0: accepted; 1: refused by readFinite only, for a non-finite value; 2: refused as corrupt by both. */
    private static int check(Path f) throws Exception {
        Loaded plain = null;
        try {
            plain = Safetensors.read(f);
        } catch (SafetensorsException e) {
            assertClean(f, e);
        }
        boolean headerOk;
        try {
            Safetensors.readHeader(f);
            headerOk = true;
        } catch (SafetensorsException e) {
            assertClean(f, e);
            headerOk = false;
        }
        assertEquals(plain != null, headerOk, "readHeader and read agree");
        try {
            Loaded fin = Safetensors.readFinite(f);
            assertNotNull(plain, "readFinite accepted a file that read refuses");
            assertEquals(List.copyOf(plain.tensors().keySet()), List.copyOf(fin.tensors().keySet()));
            for (var e : fin.tensors().entrySet()) {
                Tensor want = plain.tensors().get(e.getKey()), got = e.getValue();
                assertArrayEquals(want.shape(), got.shape(), e.getKey());
                float[] v = got.numel() == 0 ? new float[0] : got.toArray();
                for (float x : v) assertTrue(Float.isFinite(x), "readFinite returned " + x + " in " + e.getKey());
                if (v.length > 0) assertArrayEquals(want.toArray(), v, e.getKey());
            }
            assertEquals(plain.metadata(), fin.metadata());
            return 0;
        } catch (SafetensorsException e) {
            assertClean(f, e);
            if (plain == null) return 2;
            String first = firstNonFinite(plain);
            assertNotNull(first, "readFinite refused a file whose values are all finite: " + e.getMessage());
            assertTrue(e.getMessage().contains("tensor '" + first + "'"), "names the first bad tensor '" + first + "': " + e.getMessage());
            return 1;
        }
    }

    private static void assertClean(Path f, SafetensorsException e) {
        String m = e.getMessage();
        assertTrue(m.startsWith(f + ": "), "starts with the file: " + m);
        assertFalse(m.contains("\n") || m.contains("http"), "one line, no links: " + m);
    }

    /** The first tensor in file order holding NaN or infinity, or null. */
    private static String firstNonFinite(Loaded l) {
        for (var e : l.tensors().entrySet()) {
            if (e.getValue().numel() == 0) continue;
            for (float x : e.getValue().toArray()) if (!Float.isFinite(x)) return e.getKey();
        }
        return null;
    }

    // ------------------------------------------------------------------ generated files

    /** A tensor to write: its dtype, shape and raw little-endian bytes. */
    private record Entry(String name, Dtype dtype, int[] shape, byte[] bytes) {}

    private static List<Entry> tensors(Random r) {
        List<Entry> out = new ArrayList<>();
        int n = r.nextInt(5);
        for (int t = 0; t < n; t++) {
            Dtype d = DTYPES[r.nextInt(DTYPES.length)];
            int[] shape = new int[r.nextInt(4)];
            for (int k = 0; k < shape.length; k++) shape[k] = r.nextInt(r.nextInt(10) == 0 ? 1 : 6);
            int numel = 1;
            for (int s : shape) numel *= s;
            ByteBuffer b = ByteBuffer.allocate(numel * d.size()).order(ByteOrder.LITTLE_ENDIAN);
            for (int k = 0; k < numel; k++) put(b, d, (float) (r.nextGaussian() * 3));
            if (r.nextInt(8) == 0) r.nextBytes(b.array());   // raw bits: may hold NaN or infinity of any float type
            out.add(new Entry("t" + t + (r.nextBoolean() ? ".weight" : "/é ü"), d, shape, b.array()));
        }
        return out;
    }

    private static void put(ByteBuffer b, Dtype d, double v) {
        switch (d) {
            case F64 -> b.putDouble(v);
            case F32 -> b.putFloat((float) v);
            case F16 -> b.putShort(Float.floatToFloat16((float) v));
            case BF16 -> b.putShort((short) (Float.floatToRawIntBits((float) v) >>> 16));
            case I64 -> b.putLong((long) v);
            case I32 -> b.putInt((int) v);
            case I16 -> b.putShort((short) v);
            case I8, U8, BOOL -> b.put((byte) v);
        }
    }

    private static JsonObject header(List<Entry> tensors, Random r) {
        JsonObject h = new JsonObject();
        if (r.nextBoolean()) {
            JsonObject m = new JsonObject();
            m.addProperty("format", "pt");
            m.addProperty("note", "seed " + r.nextInt(100));
            h.add(Safetensors.METADATA_KEY, m);
        }
        long offset = 0;
        for (Entry e : tensors) {
            JsonObject t = new JsonObject();
            t.addProperty("dtype", e.dtype().name());
            JsonArray shape = new JsonArray();
            for (int s : e.shape()) shape.add(s);
            t.add("shape", shape);
            JsonArray off = new JsonArray();
            off.add(offset);
            off.add(offset + e.bytes().length);
            t.add("data_offsets", off);
            h.add(e.name(), t);
            offset += e.bytes().length;
        }
        return h;
    }

    private static byte[] data(List<Entry> tensors) {
        ByteBuffer b = ByteBuffer.allocate(tensors.stream().mapToInt(e -> e.bytes().length).sum());
        for (Entry e : tensors) b.put(e.bytes());
        return b.array();
    }

    private static byte[] assemble(String json, byte[] data) {
        byte[] j = json.getBytes(UTF_8);
        return ByteBuffer.allocate(8 + j.length + data.length).order(ByteOrder.LITTLE_ENDIAN).putLong(j.length).put(j).put(data).array();
    }

    // ------------------------------------------------------------------ mutations

    /**
     * One kind of damage: 0 none, 1 a poisoned value, 2 a semantic change to the header, 3 a wrong
     * header length, 4 a truncation, 5 byte flips, 6 trailing bytes, 7 an edit of the JSON text.
     */
    private static byte[] mutate(int kind, JsonObject header, List<Entry> tensors, byte[] data, Random r) {
        switch (kind) {
            case 1 -> poison(tensors, data, r);
            case 2 -> mutateHeader(header, r);
            default -> { }
        }
        String json = header.toString();
        if (kind == 7 && !json.isEmpty()) {
            StringBuilder sb = new StringBuilder(json);
            int at = r.nextInt(sb.length());
            if (r.nextBoolean()) sb.deleteCharAt(at);
            else sb.insert(at, JSON_NOISE.charAt(r.nextInt(JSON_NOISE.length())));
            json = sb.toString();
        }
        byte[] file = assemble(json, data);
        switch (kind) {
            case 3 -> {
                long[] lengths = {-1, Long.MIN_VALUE, Long.MAX_VALUE, 0, file.length, json.length() + 1 + r.nextInt(8), json.length() - 1 - r.nextInt(8)};
                ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putLong(0, lengths[r.nextInt(lengths.length)]);
            }
            case 4 -> file = Arrays.copyOf(file, r.nextInt(file.length));
            case 5 -> { for (int k = 0; k <= r.nextInt(3); k++) file[r.nextInt(file.length)] = (byte) r.nextInt(256); }
            case 6 -> {
                byte[] tail = new byte[1 + r.nextInt(16)];
                r.nextBytes(tail);
                byte[] longer = Arrays.copyOf(file, file.length + tail.length);
                System.arraycopy(tail, 0, longer, file.length, tail.length);
                file = longer;
            }
            default -> { }
        }
        return file;
    }

    /** One element of a float tensor becomes NaN, +∞ or −∞ (or, in F64, a value float32 cannot hold). */
    private static void poison(List<Entry> tensors, byte[] data, Random r) {
        List<Integer> floats = new ArrayList<>();
        for (int t = 0; t < tensors.size(); t++)
            if (tensors.get(t).bytes().length > 0 && tensors.get(t).dtype().isFloat()) floats.add(t);
        if (floats.isEmpty()) return;
        int t = floats.get(r.nextInt(floats.size()));
        int start = 0;
        for (int k = 0; k < t; k++) start += tensors.get(k).bytes().length;
        Entry e = tensors.get(t);
        int at = start + r.nextInt(e.bytes().length / e.dtype().size()) * e.dtype().size();
        double[] bad = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, e.dtype() == Dtype.F64 ? 1e300 : Double.NaN};
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).position(at);
        put(b, e.dtype(), bad[r.nextInt(bad.length)]);
    }

    private static void mutateHeader(JsonObject h, Random r) {
        List<String> names = new ArrayList<>(h.keySet());
        names.remove(Safetensors.METADATA_KEY);
        if (r.nextInt(5) == 0 || names.isEmpty()) {
            JsonObject m = new JsonObject();
            switch (r.nextInt(4)) {
                case 0 -> m.addProperty("k", 3);
                case 1 -> m.add("k", new JsonArray());
                case 2 -> { h.add(Safetensors.METADATA_KEY, new JsonArray()); return; }
                default -> m.addProperty("k", "v");
            }
            h.add(Safetensors.METADATA_KEY, m);
            if (r.nextBoolean()) h.add("extra", new JsonObject());
            return;
        }
        JsonObject t = h.getAsJsonObject(names.get(r.nextInt(names.size())));
        switch (r.nextInt(9)) {
            case 0 -> t.addProperty("dtype", new String[] {"F8", "", "f32", "I64", "F16", "U64"}[r.nextInt(6)]);
            case 1 -> t.add("dtype", new JsonPrimitive(4));
            case 2 -> {
                JsonArray s = t.getAsJsonArray("shape");
                if (r.nextBoolean() || s.isEmpty()) s.add(new JsonPrimitive(new Number[] {2, -1, 1.5, 1L << 40, 0}[r.nextInt(5)]));
                else s.remove(s.size() - 1);
            }
            case 3 -> t.addProperty("shape", "2x3");
            case 4 -> {
                JsonArray o = t.getAsJsonArray("data_offsets");
                long a = o.get(0).getAsLong(), b = o.get(1).getAsLong();
                long[][] choices = {{b, a}, {a, b + 1}, {a + 1, b}, {-a - 1, b}, {a, b + (1L << 62)}};
                long[] c = choices[r.nextInt(choices.length)];
                JsonArray n = new JsonArray();
                n.add(c[0]);
                n.add(c[1]);
                if (r.nextInt(4) == 0) n.add(0);
                t.add("data_offsets", n);
            }
            case 5 -> t.remove(new String[] {"dtype", "shape", "data_offsets"}[r.nextInt(3)]);
            case 6 -> t.addProperty("unknown_key", 1);   // ignored, as other readers do
            case 7 -> h.addProperty(names.get(0), "not an object");
            default -> {
                JsonObject copy = t.deepCopy();
                h.add("copy-of-" + names.get(0), copy);   // overlaps the original's bytes
            }
        }
    }
}
