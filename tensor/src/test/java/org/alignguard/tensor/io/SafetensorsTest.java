package org.alignguard.tensor.io;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.alignguard.tensor.Shape;
import org.alignguard.tensor.Storage;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.io.Safetensors.Dtype;
import org.alignguard.tensor.io.Safetensors.Loaded;
import org.alignguard.tensor.io.Safetensors.TensorInfo;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SafetensorsTest {
    private static final String FIXTURES = "/fixtures/safetensors/";

    @TempDir Path dir;

    @BeforeAll
    static void warmUp() throws Exception {
        // load the classes once, so the one-second limits below time the checks, not class loading
        Safetensors.read(fixture("from_python_f32.safetensors"));
    }

    // ------------------------------------------------------------------ round trips

    @Test
    void roundTripF32OfSeveralRanksKeepsValuesShapesAndMetadata() throws IOException {
        Random r = new Random(42);
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("z.rank4", random(r, 2, 3, 4, 5));
        in.put("scalar", Tensor.scalar(-1.25f));
        in.put("empty", Tensor.of(new float[0], 0, 3));
        in.put("empty.middle", Tensor.of(new float[0], 2, 0, 4));
        in.put("vec", random(r, 7));
        in.put("mat", random(r, 3, 2));
        in.put("cube", random(r, 1, 1, 1));
        Map<String, String> meta = Map.of("format", "pt", "step", "12", "note", "ünïcode \"quoted\" ✓");
        Path f = dir.resolve("rt.safetensors");
        Safetensors.write(f, in, meta);

        Loaded back = Safetensors.read(f);
        assertEquals(meta, back.metadata());
        assertEquals(new TreeMap<>(in).keySet().stream().toList(), List.copyOf(back.tensors().keySet()),
                "written sorted by name, read back in file order");
        for (var e : in.entrySet()) assertSameTensor(e.getValue(), back.tensors().get(e.getKey()), e.getKey());
        assertEquals(0, back.tensors().get("scalar").ndim());
        for (TensorInfo info : back.infos()) assertEquals(Dtype.F32, info.dtype());

        Safetensors.Header h = Safetensors.readHeader(f);
        assertEquals(0, (8 + h.headerBytes()) % 8, "header padded to a multiple of 8");
        assertEquals(Files.size(f), h.dataStart() + h.dataBytes());
        assertEquals(back.infos().toString(), h.tensors().toString());
    }

    @Test
    void writesViewsInRowMajorOrderAndOverwritesAnExistingFile() throws IOException {
        Tensor base = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor t = base.transpose(0, 1); // [[1,4],[2,5],[3,6]], not contiguous
        Path f = dir.resolve("view.safetensors");
        Safetensors.write(f, Map.of("old", Tensor.scalar(9)), null);
        Safetensors.write(f, Map.of("t", t, "col", base.slice(1, 1, 2)), Map.of());
        Loaded back = Safetensors.read(f);
        assertEquals(List.of("col", "t"), List.copyOf(back.tensors().keySet()));
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, back.tensors().get("t").toArray());
        assertArrayEquals(new int[] {3, 2}, back.tensors().get("t").shape());
        assertArrayEquals(new float[] {2, 5}, back.tensors().get("col").toArray());
        assertTrue(back.metadata().isEmpty());
    }

    @Test
    void largeTensorCrossesTheIoChunks() throws IOException {
        Tensor t = random(new Random(7), 300, 301); // 361 KB: several 64 KB chunks, odd size
        for (Dtype d : new Dtype[] {Dtype.F32, Dtype.F16, Dtype.BF16}) {
            Path f = dir.resolve("big-" + d + ".safetensors");
            Safetensors.write(f, Map.of("t", t.transpose(0, 1)), null, d);
            float[] got = Safetensors.read(f).tensors().get("t").toArray();
            float[] want = t.transpose(0, 1).toArray();
            for (int i = 0; i < want.length; i++) want[i] = narrow(want[i], d);
            assertArrayEquals(want, got, d.toString());
        }
    }

    @Test
    void f16AndBf16WritesRoundToNearestEven() throws IOException {
        float[] v = {1f, 1f + 0x1p-11f, 1f + 0x1.8p-10f, 65519f, 65520f, 0x1p-25f, 0x1.8p-24f, -0f, Float.NaN};
        Path f = dir.resolve("h.safetensors");
        Safetensors.write(f, Map.of("v", Tensor.of(v, v.length)), Map.of("k", "v"), Dtype.F16);
        Loaded back = Safetensors.read(f);
        assertEquals(Dtype.F16, back.infos().get(0).dtype());
        assertBits(new float[] {1f, 1f, 1f + 0x1p-9f, 65504f, Float.POSITIVE_INFINITY, 0f, 0x1p-23f, -0f, Float.NaN},
                back.tensors().get("v").toArray(), "F16");
        Safetensors.write(f, Map.of("v", Tensor.of(v, v.length)), null, Dtype.BF16);
        assertBits(new float[] {1f, 1f, 1f, 65536f, 65536f, 0x1p-25f,
                0x1.8p-24f, -0f, Float.NaN}, Safetensors.read(f).tensors().get("v").toArray(), "BF16");
        assertThrows(IllegalArgumentException.class,
                () -> Safetensors.write(f, Map.of("v", Tensor.scalar(1)), null, Dtype.I32));
    }

    // ------------------------------------------------------------------ atomic write

    @Test
    void atomicWriteLeavesNoTemporaryFile() throws IOException {
        Path f = dir.resolve("ckpt.safetensors");
        Safetensors.write(f, Map.of("a", Tensor.scalar(1)), null);
        Safetensors.write(f, Map.of("a", Tensor.scalar(2)), null);
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(f), s.toList());
        }
        assertEquals(2f, Safetensors.read(f).tensors().get("a").item());
    }

    @Test
    void failedWriteKeepsTheOldFileAndRemovesTheTemporaryOne() throws IOException {
        Path f = dir.resolve("ckpt.safetensors");
        Safetensors.write(f, Map.of("a", Tensor.scalar(1)), null);
        byte[] before = Files.readAllBytes(f);
        // a tensor whose storage fails when the writer reads it, halfway through the file
        Tensor broken = new Tensor(new Storage() {
            @Override public int length() { return 4; }
            @Override public String device() { return "test"; }
            @Override public float[] hostArray() { throw new IllegalStateException("device lost"); }
        }, new int[] {4}, new int[] {1}, 0);
        assertThrows(IllegalStateException.class,
                () -> Safetensors.write(f, Map.of("a", Tensor.scalar(5), "b", broken), null));
        assertArrayEquals(before, Files.readAllBytes(f));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(f), s.toList());
        }
        assertThrows(IllegalArgumentException.class,
                () -> Safetensors.write(f, Map.of("__metadata__", Tensor.scalar(1)), null));
    }

    // ------------------------------------------------------------------ corrupt files

    static Stream<Arguments> corruptHeaders() {
        String ok = "\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]";
        return Stream.of(
                Arguments.of("malformed JSON", "{\"a\":{\"dtype\":\"F32\",", 0, "malformed JSON"),
                Arguments.of("lenient JSON", "{a:{" + ok + "}}", 8, "malformed JSON"),
                Arguments.of("content after object", "{\"a\":{" + ok + "}} x", 8, "malformed JSON"),
                Arguments.of("deep nesting", "{\"a\":{\"x\":" + "[".repeat(5000) + "]".repeat(5000) + "}}", 0, "malformed JSON"),
                Arguments.of("array header", "[1,2]   ", 0, "not a JSON object"),
                Arguments.of("string header", "\"abc\"", 0, "not a JSON object"),
                Arguments.of("entry not object", "{\"a\":[1]}", 0, "tensor 'a' is not a JSON object"),
                Arguments.of("unknown dtype", "{\"a\":{\"dtype\":\"F128\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
                        "tensor 'a' has unknown dtype 'F128'"),
                Arguments.of("dtype not string", "{\"a\":{\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
                        "dtype must be a string"),
                Arguments.of("missing dtype", "{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "tensor 'a' has no dtype"),
                Arguments.of("missing offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "has no data_offsets"),
                Arguments.of("three offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4,8]}}", 8,
                        "data_offsets must be 2 integers"),
                Arguments.of("negative offset", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", 8,
                        "data_offsets holds the negative value -8"),
                Arguments.of("fractional offset", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8.5]}}", 8,
                        "not an integer"),
                Arguments.of("huge offset", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,1e999]}}", 8,
                        "not an integer"),
                Arguments.of("string offset", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[\"0\",8]}}", 8,
                        "must hold integers"),
                Arguments.of("offsets not array", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":8}}", 8,
                        "must be an array"),
                Arguments.of("begin after end", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8,
                        "begin after they end"),
                Arguments.of("offsets past data", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8,
                        "run past the end of the data section (8 bytes)"),
                Arguments.of("overlap", "{\"a\":{" + ok + "},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12,
                        "'a' [0, 8] and 'b' [4, 12] overlap"),
                Arguments.of("same offsets", "{\"a\":{" + ok + "},\"b\":{" + ok + "}}", 8, "overlap"),
                Arguments.of("hole", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12,
                        "data bytes [0, 4) belong to no tensor"),
                Arguments.of("trailing bytes", "{\"a\":{" + ok + "}}", 12, "data section has 12 bytes but the tensors cover only 8"),
                Arguments.of("negative dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8,
                        "shape holds the negative value -2"),
                Arguments.of("dim too big", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296],\"data_offsets\":[0,8]}}", 8,
                        "more than the limit"),
                Arguments.of("shape overflows", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],"
                        + "\"data_offsets\":[0,8]}}", 8, "is too large"),
                Arguments.of("shape vs bytes", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,8]}}", 8,
                        "shape [2, 3] of F32 needs 24 bytes but data_offsets [0, 8] hold 8"),
                Arguments.of("f16 shape vs bytes", "{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
                        "needs 4 bytes"),
                Arguments.of("duplicate name", "{\"a\":{" + ok + "},\"a\":{" + ok + "}}", 8, "duplicate name 'a'"),
                Arguments.of("duplicate key", "{\"a\":{" + ok + ",\"dtype\":\"F16\"}}", 8, "duplicate key 'dtype'"),
                Arguments.of("metadata number", "{\"__metadata__\":{\"step\":12}}", 0, "__metadata__ value of 'step' is not a string"),
                Arguments.of("metadata null", "{\"__metadata__\":{\"step\":null}}", 0, "is not a string"),
                Arguments.of("metadata array", "{\"__metadata__\":[\"x\"]}", 0, "__metadata__ must be an object"),
                Arguments.of("duplicate metadata", "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0, "duplicate __metadata__ key 'k'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corruptHeaders")
    void corruptHeaderGivesAClearError(String name, String json, int dataBytes, String expected) throws IOException {
        Path f = dir.resolve("bad.safetensors");
        Files.write(f, build(json.getBytes(UTF_8), new byte[dataBytes]));
        assertCorrupt(f, expected);
    }

    @Test
    void emptyAndTooShortFiles() throws IOException {
        assertCorrupt(write("empty", new byte[0]), "file is 0 bytes, too short");
        assertCorrupt(write("five", new byte[5]), "file is 5 bytes, too short");
        assertCorrupt(write("zero", new byte[8]), "header length is 0");
    }

    @Test
    void headerLengthPastTheEndOrAbsurd() throws IOException {
        byte[] b = build("{}".getBytes(UTF_8), new byte[0]);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1000);
        assertCorrupt(write("past", b), "header length 1000 runs past the end of the file (10 bytes)");
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L);
        assertCorrupt(write("max", b), "header length 18446744073709551615 runs past the end");
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Long.MAX_VALUE);
        assertCorrupt(write("big", b), "header length 9223372036854775807 runs past the end");

        // a (sparse) 200 MB file that claims a 150 MB header: refused before anything is read
        Path f = dir.resolve("absurd.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(150_000_000L).array());
            raf.setLength(200_000_000L);
        }
        assertCorrupt(f, "header length 150000000 is absurdly large");
    }

    @Test
    void headerThatIsNotUtf8() throws IOException {
        byte[] json = "{\"a\":{}}".getBytes(UTF_8);
        json[2] = (byte) 0xff;
        assertCorrupt(write("utf", build(json, new byte[0])), "header is not valid UTF-8");
    }

    @Test
    void truncatedDataSection() throws IOException {
        Path f = dir.resolve("full.safetensors");
        Safetensors.write(f, Map.of("a", random(new Random(1), 4, 4)), null);
        byte[] all = Files.readAllBytes(f);
        assertCorrupt(write("cut", Arrays.copyOf(all, all.length - 3)),
                "tensor 'a' data_offsets [0, 64] run past the end of the data section (61 bytes): truncated file");
    }

    @Test
    void everyTruncationAndManyByteFlipsFailCleanly() throws Exception {
        Path f = dir.resolve("src.safetensors");
        Safetensors.write(f, Map.of("w", random(new Random(3), 3, 4), "b", random(new Random(4), 4),
                "s", Tensor.scalar(1)), Map.of("format", "pt"));
        byte[] all = Files.readAllBytes(f);
        Path g = dir.resolve("mutant.safetensors");
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            for (int len = 0; len < all.length; len++) {
                Files.write(g, Arrays.copyOf(all, len));
                assertThrows(SafetensorsException.class, () -> Safetensors.read(g), "truncated to " + len);
            }
            Random r = new Random(5);
            int headerEnd = (int) Safetensors.readHeader(f).dataStart();
            for (int i = 0; i < 1500; i++) { // flip bytes of the header: the read works or fails cleanly
                byte[] m = all.clone();
                for (int k = 0; k < 1 + r.nextInt(3); k++) m[r.nextInt(headerEnd)] = (byte) r.nextInt(256);
                Files.write(g, m);
                try {
                    Safetensors.read(g);
                } catch (SafetensorsException expected) {
                    assertTrue(expected.getMessage().startsWith(g.toString()));
                } catch (Throwable other) {
                    throw new AssertionError("mutation " + i + " gave " + other, other);
                }
            }
        });
    }

    // ------------------------------------------------------------------ 16-bit floats

    @Test
    void f16KnownBitPatterns() {
        int[][] cases = { // f16 bits, float32 bits
                {0x0000, 0x00000000}, {0x8000, 0x80000000}, // +0, -0
                {0x0001, Float.floatToIntBits(0x1p-24f)}, {0x8001, Float.floatToIntBits(-0x1p-24f)}, // smallest subnormal
                {0x03ff, Float.floatToIntBits(0x3ffp-24f)}, {0x0400, Float.floatToIntBits(0x1p-14f)}, // max subnormal, min normal
                {0x3c00, 0x3f800000}, {0xc000, 0xc0000000}, {0x7bff, Float.floatToIntBits(65504f)},
                {0x3555, Float.floatToIntBits(0.33325195f)},
                {0x7c00, 0x7f800000}, {0xfc00, 0xff800000}}; // +inf, -inf
        for (int[] c : cases)
            assertEquals(c[1], Float.floatToRawIntBits(HalfFloat.f16ToFloat(c[0])), Integer.toHexString(c[0]));
        assertTrue(Float.isNaN(HalfFloat.f16ToFloat(0x7e00)));
        assertTrue(Float.isNaN(HalfFloat.f16ToFloat(0x7c01)));
        assertTrue(Float.isNaN(HalfFloat.f16ToFloat(0xfe00)));
    }

    @Test
    void f16MatchesTheJdkForAllPatternsBothWays() {
        for (int h = 0; h < 0x10000; h++) { // every half, widened
            float want = Float.float16ToFloat((short) h), got = HalfFloat.f16ToFloat(h);
            if (Float.isNaN(want)) assertTrue(Float.isNaN(got), Integer.toHexString(h));
            else assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), Integer.toHexString(h));
        }
        Random r = new Random(11);
        for (long i = 0; i < 3_000_000; i++) { // floats spread over all bit patterns, narrowed
            int bits = i < 1_000_000 ? (int) (i * 4295L) : r.nextInt();
            float f = Float.intBitsToFloat(bits);
            int want = Float.floatToFloat16(f) & 0xffff, got = HalfFloat.floatToF16(f);
            if (Float.isNaN(f)) assertTrue(Float.isNaN(HalfFloat.f16ToFloat(got)), Integer.toHexString(bits));
            else if (want != got) fail("floatToF16(0x" + Integer.toHexString(bits) + ") = 0x" + Integer.toHexString(got)
                    + ", JDK says 0x" + Integer.toHexString(want));
        }
    }

    @Test
    void bf16KnownBitPatterns() {
        int[][] decode = {{0x0000, 0x00000000}, {0x8000, 0x80000000}, {0x0001, 0x00010000}, {0x007f, 0x007f0000},
                {0x0080, 0x00800000}, {0x3f80, 0x3f800000}, {0x4049, Float.floatToIntBits(3.140625f)},
                {0x7f7f, 0x7f7f0000}, {0x7f80, 0x7f800000}, {0xff80, 0xff800000}};
        for (int[] c : decode)
            assertEquals(c[1], Float.floatToRawIntBits(HalfFloat.bf16ToFloat(c[0])), Integer.toHexString(c[0]));
        assertTrue(Float.isNaN(HalfFloat.bf16ToFloat(0x7fc0)));
        assertEquals(Float.floatToIntBits(0x1p-133f), Float.floatToRawIntBits(HalfFloat.bf16ToFloat(0x0001)), "subnormal");

        int[][] encode = { // float32 bits, bf16 bits: round to nearest, ties to even
                {0x3f800000, 0x3f80}, {0x3f808000, 0x3f80}, {0x3f818000, 0x3f82}, {0x3f808001, 0x3f81},
                {0x80000000, 0x8000}, {0x7f7fffff, 0x7f80}, {0xff800000, 0xff80}, {0x00010000, 0x0001}, {0x0000ffff, 0x0001}};
        for (int[] c : encode)
            assertEquals(c[1], HalfFloat.floatToBf16(Float.intBitsToFloat(c[0])), Integer.toHexString(c[0]));
        assertEquals(0x7fc0, HalfFloat.floatToBf16(Float.NaN));
    }

    // ------------------------------------------------------------------ interop with the Python script

    @Test
    void readsFilesWrittenByTheIndependentPythonWriter() throws Exception {
        JsonObject all = json(fixture("from_python_expected.json"));
        assertEquals(3, all.size());
        for (String file : all.keySet()) {
            Loaded got = Safetensors.read(fixture(file));
            JsonObject want = all.getAsJsonObject(file);
            assertEquals(Map.of("format", "pt", "source", "safetensors_interop.py"), got.metadata(), file);
            JsonObject tensors = want.getAsJsonObject("tensors");
            assertEquals(List.copyOf(new TreeMap<>(tensors.asMap()).keySet()), List.copyOf(got.tensors().keySet()), file);
            for (TensorInfo info : got.infos()) {
                JsonObject w = tensors.getAsJsonObject(info.name());
                String where = file + " " + info.name();
                assertEquals(w.get("dtype").getAsString(), info.dtype().name(), where);
                Tensor t = got.tensors().get(info.name());
                assertArrayEquals(ints(w.getAsJsonArray("shape")), t.shape(), where);
                assertBits(floats(w.getAsJsonArray("f32_bits")), t.toArray(), where);
            }
        }
    }

    /**
     * Writes the Java-side interop files into target/ and checks they are byte for byte the
     * committed fixtures that the Python verifier accepted (see safetensors_interop.py).
     */
    @Test
    void writerStillProducesTheFilesThePythonReaderVerified() throws Exception {
        Path target = Files.createDirectories(Path.of("target"));
        Map<String, Tensor> tensors = javaFixtureTensors();
        Map<String, String> meta = Map.of("format", "pt", "writer", "alignguard", "note", "ünïcode \"quoted\" ✓");
        Files.writeString(target.resolve("from_java_expected.json"), expectedJson(tensors, meta), UTF_8);
        String[][] files = {{"from_java", "F32"}, {"from_java_f16", "F16"}, {"from_java_bf16", "BF16"}};
        for (String[] f : files) {
            Path out = target.resolve(f[0] + ".safetensors");
            Dtype d = Dtype.valueOf(f[1]);
            Safetensors.write(out, tensors, meta, d);
            Loaded back = Safetensors.read(out);
            for (var e : tensors.entrySet()) {
                float[] want = e.getValue().toArray();
                for (int i = 0; i < want.length; i++) want[i] = narrow(want[i], d);
                assertBits(want, back.tensors().get(e.getKey()).toArray(), f[0] + " " + e.getKey());
            }
        }
        for (String[] f : files) { // only once all three are in target/, for the Python verifier
            Path out = target.resolve(f[0] + ".safetensors");
            assertArrayEquals(Files.readAllBytes(fixture(f[0] + ".safetensors")), Files.readAllBytes(out),
                    "the writer's output changed: if on purpose, verify target/" + f[0]
                            + ".safetensors with src/test/python/safetensors_interop.py and commit it as the fixture");
        }
        assertEquals(json(fixture("from_java_expected.json")), json(target.resolve("from_java_expected.json")));
    }

    /** Deterministic values (no RNG, only exact float arithmetic) plus the rounding corner cases. */
    static Map<String, Tensor> javaFixtureTensors() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("a.weight", Tensor.of(ramp(12, 0), 3, 4));
        m.put("a.bias", Tensor.of(ramp(4, 100), 4));
        m.put("b.conv", Tensor.of(ramp(36, 200), 2, 2, 3, 3));
        m.put("c.transposed", Tensor.of(ramp(6, 300), 2, 3).transpose(0, 1));
        m.put("d.scalar", Tensor.scalar(0.15625f));
        m.put("e.empty", Tensor.of(new float[0], 0, 5));
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f, Float.MIN_VALUE,
                Float.MAX_VALUE, 65504f, 65519f, 65520f, 1e5f, 0x1p-25f, 0x1.8p-24f, 0x1p-24f, 1e-8f, 6.1e-5f,
                1f + 0x1p-11f, 1f + 0x1.8p-10f, 1f + 0x1p-11f + 0x1p-20f, -3.3333333f,
                Float.intBitsToFloat(0x3f808000), Float.intBitsToFloat(0x3f818000), Float.intBitsToFloat(0x3f808001),
                Float.intBitsToFloat(0x7f7f8000)};
        m.put("f.special", Tensor.of(special, special.length));
        return m;
    }

    private static float[] ramp(int n, int start) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (((start + i) * 7919) % 2003 - 1001) / 257f;
        return v;
    }

    private static String expectedJson(Map<String, Tensor> tensors, Map<String, String> meta) throws IOException {
        StringWriter sw = new StringWriter();
        JsonWriter w = new JsonWriter(sw);
        w.setIndent(" ");
        w.beginObject().name("metadata").beginObject();
        for (var e : new TreeMap<>(meta).entrySet()) w.name(e.getKey()).value(e.getValue());
        w.endObject().name("tensors").beginObject();
        for (var e : new TreeMap<>(tensors).entrySet()) {
            w.name(e.getKey()).beginObject().name("dtype").value("F32").name("shape").beginArray();
            for (int d : e.getValue().shape()) w.value(d);
            w.endArray().name("f32_bits").beginArray();
            for (float v : e.getValue().toArray()) w.value(Float.floatToRawIntBits(v));
            w.endArray().endObject();
        }
        w.endObject().endObject().flush();
        return sw + "\n";
    }

    // ------------------------------------------------------------------ helpers

    private static Path fixture(String name) throws URISyntaxException {
        var url = SafetensorsTest.class.getResource(FIXTURES + name);
        if (url == null) throw new AssertionError("missing test fixture " + FIXTURES + name);
        return Path.of(url.toURI());
    }

    private static JsonObject json(Path p) throws IOException {
        return JsonParser.parseString(Files.readString(p, UTF_8)).getAsJsonObject();
    }

    private static int[] ints(JsonArray a) {
        return a.asList().stream().mapToInt(JsonElement::getAsInt).toArray();
    }

    private static float[] floats(JsonArray bits) {
        int[] b = ints(bits);
        float[] f = new float[b.length];
        for (int i = 0; i < b.length; i++) f[i] = Float.intBitsToFloat(b[i]);
        return f;
    }

    private static Tensor random(Random r, int... shape) {
        float[] v = new float[Shape.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return Tensor.of(v, shape);
    }

    /** What storing {@code v} as {@code d} and reading it back gives. */
    private static float narrow(float v, Dtype d) {
        return switch (d) {
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(v)); // the JDK as an independent reference
            case BF16 -> HalfFloat.bf16ToFloat(HalfFloat.floatToBf16(v));
            default -> v;
        };
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name + ".safetensors"), bytes);
    }

    private static byte[] build(byte[] json, byte[] data) {
        return ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(json.length).put(json).put(data).array();
    }

    /** Both read and readHeader fail within a second, with a message naming the file and the problem. */
    private static void assertCorrupt(Path f, String expected) {
        for (boolean headerOnly : new boolean[] {false, true}) {
            SafetensorsException e = assertTimeoutPreemptively(Duration.ofSeconds(1), () -> assertThrows(
                    SafetensorsException.class, () -> {
                        if (headerOnly) Safetensors.readHeader(f);
                        else Safetensors.read(f);
                    }));
            String msg = e.getMessage();
            assertTrue(msg.startsWith(f + ": "), "message should start with the file: " + msg);
            assertTrue(msg.contains(expected), "message should contain '" + expected + "': " + msg);
            assertFalse(msg.contains("\n"), "one-line message: " + msg);
            assertEquals(f, e.file());
        }
    }

    private static void assertSameTensor(Tensor want, Tensor got, String what) {
        assertArrayEquals(want.shape(), got.shape(), what);
        if (want.numel() == 0) return; // nothing to compare (and toArray of a [2, 0, 4] goes via the backend)
        assertBits(want.toArray(), got.toArray(), what);
    }

    /** Equal bit for bit, except that any NaN matches any NaN. */
    private static void assertBits(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what + ": length");
        List<String> bad = new ArrayList<>();
        for (int i = 0; i < want.length; i++) {
            boolean ok = Float.isNaN(want[i]) ? Float.isNaN(got[i])
                    : Float.floatToRawIntBits(want[i]) == Float.floatToRawIntBits(got[i]);
            if (!ok) bad.add("[" + i + "] " + got[i] + " != " + want[i]);
        }
        assertTrue(bad.isEmpty(), what + ": " + bad);
    }
}
