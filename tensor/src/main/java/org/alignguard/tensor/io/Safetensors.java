package org.alignguard.tensor.io;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.alignguard.tensor.FiniteCheck;
import org.alignguard.tensor.Tensor;

/**
 * Reads and writes the safetensors format (https://github.com/huggingface/safetensors):
 *
 * <pre>
 *   [8 bytes]  N, the header length, unsigned little-endian
 *   [N bytes]  a UTF-8 JSON object, padded with spaces:
 *              {"__metadata__": {"key": "value", ...},
 *               "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
 *   [rest]     the data section: each tensor's raw little-endian bytes, row-major, at
 *              [begin, end) counted from the start of the data section
 * </pre>
 *
 * The tensors must cover the data section exactly, without holes or overlaps. Every rule is checked
 * before any tensor data is read, so a corrupt file fails fast with a {@link SafetensorsException}
 * that names the file and the problem, and never makes us allocate more than the file can hold.
 *
 * <p>Reading converts every supported dtype to float32; writing produces F32 (or F16 / BF16).
 */
public final class Safetensors {
    private Safetensors() {}

    /** The largest header we accept, like the reference implementation: 100 MB. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    /** The reserved header key for the string-to-string metadata. */
    public static final String METADATA_KEY = "__metadata__";

    /** Bytes moved per read or write call; a multiple of 8 so no element straddles two chunks. */
    private static final int CHUNK = 1 << 16;

    /** A non-negative or negative integer literal, as opposed to 1.5 or 1e3. */
    private static final Pattern INTEGER = Pattern.compile("-?[0-9]{1,18}");

    /** The element types we can read, with their size in bytes. All convert to float32. */
    public enum Dtype {
        F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

        private final int size;

        Dtype(int size) { this.size = size; }

        /** Bytes per element. */
        public int size() { return size; }

        /** True for the types that can hold NaN and infinity (F64 also overflows float32 into infinity). */
        boolean isFloat() { return this == F64 || this == F32 || this == F16 || this == BF16; }

        /** The dtype named {@code s}, or null if we do not know it. */
        static Dtype parse(String s) {
            for (Dtype d : values()) if (d.name().equals(s)) return d;
            return null;
        }
    }

    /** Where one tensor lives: its dtype as stored, its shape and its bytes in the data section. */
    public record TensorInfo(String name, Dtype dtype, int[] shape, long byteBegin, long byteEnd) {
        public TensorInfo {
            shape = shape.clone();
        }

        @Override public int[] shape() { return shape.clone(); }

        /** Number of elements (1 for a 0-d scalar). */
        public long numel() {
            long n = 1;
            for (int d : shape) n *= d; // cannot overflow: checked against the byte count on parse
            return n;
        }

        @Override public String toString() {
            return name + " " + dtype + " " + Arrays.toString(shape) + " [" + byteBegin + ", " + byteEnd + ")";
        }
    }

    /**
     * A parsed and validated header. {@code tensors} are in the order of their data in the file;
     * {@code headerBytes} is N (padding included) and {@code dataBytes} the size of the data section.
     */
    public record Header(List<TensorInfo> tensors, Map<String, String> metadata, long headerBytes, long dataBytes) {
        /** File position where the data section starts. */
        public long dataStart() { return 8 + headerBytes; }
    }

    /** A whole file: tensors (as float32, in file order), the metadata, and what the header said. */
    public record Loaded(LinkedHashMap<String, Tensor> tensors, Map<String, String> metadata, List<TensorInfo> infos) {}

    // ------------------------------------------------------------------------------- reading

    /** Reads and checks only the header, not the data: cheap even for a big checkpoint. */
    public static Header readHeader(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(file, ch);
        }
    }

    /** Reads every tensor, converting it to float32; NaN and infinity are read as they are. */
    public static Loaded read(Path file) throws IOException {
        return read(file, false);
    }

    /**
     * Reads every tensor like {@link #read}, and refuses a NaN or infinity in any of them with a
     * {@link SafetensorsException} that names the tensor and where the value sits. What loaders of
     * weights call: each chunk is checked right after it is converted, while it is still in cache.
     */
    public static Loaded readFinite(Path file) throws IOException {
        return read(file, true);
    }

    private static Loaded read(Path file, boolean finite) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header h = readHeader(file, ch);
            LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();
            for (TensorInfo info : h.tensors()) {
                if (info.numel() > Integer.MAX_VALUE - 8)
                    throw new SafetensorsException(file, "tensor '" + info.name() + "' has " + info.numel()
                            + " elements, too many for one float array");
                float[] data = new float[(int) info.numel()];
                readData(file, ch, h.dataStart() + info.byteBegin(), info.dtype(), data, finite ? info : null);
                tensors.put(info.name(), Tensor.of(data, info.shape()));
            }
            return new Loaded(tensors, h.metadata(), h.tensors());
        }
    }

    private static Header readHeader(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8)
            throw new SafetensorsException(file, "file is " + size
                    + " bytes, too short for the 8-byte header length (empty or truncated file)");
        long n = readFully(file, ch, 0, 8).getLong(); // unsigned: a value >= 2^63 reads as negative
        if (n < 0 || n > size - 8)
            throw new SafetensorsException(file, "header length " + Long.toUnsignedString(n)
                    + " runs past the end of the file (" + size + " bytes): truncated or not a safetensors file");
        if (n > MAX_HEADER_BYTES)
            throw new SafetensorsException(file, "header length " + n + " is absurdly large (limit "
                    + MAX_HEADER_BYTES + " bytes)");
        if (n == 0) throw new SafetensorsException(file, "header length is 0: the header must be a JSON object");

        ByteBuffer raw = readFully(file, ch, 8, (int) n);
        if (raw.get(0) != '{')
            throw new SafetensorsException(file, "header is not a JSON object (it must start with '{', found byte 0x"
                    + Integer.toHexString(raw.get(0) & 0xff) + ")");
        String json;
        try {
            json = UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(raw).toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(file, "header is not valid UTF-8", e);
        }

        HeaderParser p = new HeaderParser(file, json);
        List<TensorInfo> infos = p.parse();
        return new Header(List.copyOf(checkLayout(file, infos, size - 8 - n)),
                Collections.unmodifiableMap(p.metadata), n, size - 8 - n);
    }

    /**
     * Checks that the tensors lie inside the data section and tile it exactly: sorted by offset,
     * each begins where the previous one ended, the first at 0 and the last at the end. Returns
     * them in that (file) order. Empty tensors (begin == end) may share an offset.
     */
    private static List<TensorInfo> checkLayout(Path file, List<TensorInfo> infos, long dataBytes) throws SafetensorsException {
        for (TensorInfo t : infos) {
            if (t.byteEnd() > dataBytes)
                throw new SafetensorsException(file, "tensor '" + t.name() + "' data_offsets [" + t.byteBegin() + ", "
                        + t.byteEnd() + "] run past the end of the data section (" + dataBytes
                        + " bytes): truncated file or offsets out of range");
        }
        List<TensorInfo> sorted = new ArrayList<>(infos);
        sorted.sort(Comparator.comparingLong(TensorInfo::byteBegin).thenComparingLong(TensorInfo::byteEnd));
        long covered = 0; // the data section is covered up to here
        TensorInfo prev = null;
        for (TensorInfo t : sorted) {
            if (t.byteBegin() < covered)
                throw new SafetensorsException(file, "tensors '" + prev.name() + "' [" + prev.byteBegin() + ", "
                        + prev.byteEnd() + "] and '" + t.name() + "' [" + t.byteBegin() + ", " + t.byteEnd() + "] overlap");
            if (t.byteBegin() > covered)
                throw new SafetensorsException(file, "data bytes [" + covered + ", " + t.byteBegin()
                        + ") belong to no tensor (a hole before '" + t.name()
                        + "'); tensors must cover the data section contiguously");
            covered = t.byteEnd();
            prev = t;
        }
        if (covered != dataBytes)
            throw new SafetensorsException(file, "data section has " + dataBytes + " bytes but the tensors cover only "
                    + covered + " (trailing bytes after the last tensor)");
        return sorted;
    }

    /**
     * Walks the JSON header with Gson's streaming reader, in strict mode, so that it can reject
     * duplicate names and check each field's type as it goes.
     */
    private static final class HeaderParser {
        final Path file;
        final JsonReader in;
        final Map<String, String> metadata = new LinkedHashMap<>();

        HeaderParser(Path file, String json) {
            this.file = file;
            this.in = new JsonReader(new StringReader(json));
            in.setStrictness(Strictness.STRICT);
        }

        List<TensorInfo> parse() throws SafetensorsException {
            try {
                List<TensorInfo> infos = new ArrayList<>();
                Set<String> names = new HashSet<>();
                in.beginObject();
                while (in.hasNext()) {
                    String name = in.nextName();
                    if (!names.add(name)) throw bad("duplicate name '" + name + "' in the header");
                    if (name.equals(METADATA_KEY)) readMetadata();
                    else infos.add(readTensor(name));
                }
                in.endObject();
                if (in.peek() != JsonToken.END_DOCUMENT) throw bad("malformed JSON header: content after the closing '}'");
                return infos;
            } catch (SafetensorsException e) {
                throw e;
            } catch (IOException | IllegalStateException | NumberFormatException e) {
                throw new SafetensorsException(file, "malformed JSON header: " + JsonErrors.brief(e), e);
            }
        }

        private void readMetadata() throws IOException {
            if (in.peek() != JsonToken.BEGIN_OBJECT)
                throw bad("__metadata__ must be an object of strings, found " + in.peek());
            in.beginObject();
            while (in.hasNext()) {
                String key = in.nextName();
                if (in.peek() != JsonToken.STRING)
                    throw bad("__metadata__ value of '" + key + "' is not a string (found " + in.peek() + ")");
                if (metadata.put(key, in.nextString()) != null) throw bad("duplicate __metadata__ key '" + key + "'");
            }
            in.endObject();
        }

        private TensorInfo readTensor(String name) throws IOException {
            String what = "tensor '" + name + "'";
            if (in.peek() != JsonToken.BEGIN_OBJECT) throw bad(what + " is not a JSON object (found " + in.peek() + ")");
            Dtype dtype = null;
            long[] shape = null, offsets = null;
            Set<String> keys = new HashSet<>();
            in.beginObject();
            while (in.hasNext()) {
                String key = in.nextName();
                if (!keys.add(key)) throw bad(what + " has a duplicate key '" + key + "'");
                switch (key) {
                    case "dtype" -> {
                        if (in.peek() != JsonToken.STRING) throw bad(what + ": dtype must be a string, found " + in.peek());
                        String s = in.nextString();
                        dtype = Dtype.parse(s);
                        if (dtype == null)
                            throw bad(what + " has unknown dtype '" + s + "' (supported: " + Arrays.toString(Dtype.values()) + ")");
                    }
                    case "shape" -> shape = readNaturals(what + ": shape", Integer.MAX_VALUE);
                    case "data_offsets" -> offsets = readNaturals(what + ": data_offsets", Long.MAX_VALUE);
                    default -> in.skipValue(); // unknown keys are ignored, as other readers do
                }
            }
            in.endObject();
            if (dtype == null) throw bad(what + " has no dtype");
            if (shape == null) throw bad(what + " has no shape");
            if (offsets == null) throw bad(what + " has no data_offsets");
            if (offsets.length != 2)
                throw bad(what + ": data_offsets must be 2 integers [begin, end], found " + offsets.length);
            long begin = offsets[0], end = offsets[1];
            if (begin > end) throw bad(what + ": data_offsets [" + begin + ", " + end + "] begin after they end");

            int[] dims = new int[shape.length];
            long bytes = dtype.size();
            try {
                for (int i = 0; i < dims.length; i++) {
                    dims[i] = (int) shape[i];
                    bytes = Math.multiplyExact(bytes, shape[i]);
                }
            } catch (ArithmeticException e) {
                throw bad(what + ": shape " + Arrays.toString(shape) + " is too large");
            }
            if (bytes != end - begin)
                throw bad(what + ": shape " + Arrays.toString(shape) + " of " + dtype + " needs " + bytes
                        + " bytes but data_offsets [" + begin + ", " + end + "] hold " + (end - begin));
            return new TensorInfo(name, dtype, dims, begin, end);
        }

        /** An array of integers in [0, max], e.g. a shape or a pair of offsets. */
        private long[] readNaturals(String what, long max) throws IOException {
            if (in.peek() != JsonToken.BEGIN_ARRAY) throw bad(what + " must be an array of integers, found " + in.peek());
            List<Long> out = new ArrayList<>();
            in.beginArray();
            while (in.hasNext()) {
                if (in.peek() != JsonToken.NUMBER) throw bad(what + " must hold integers, found " + in.peek());
                String lit = in.nextString(); // the number as written, so 1.5 or 1e99 is not silently cut
                if (!INTEGER.matcher(lit).matches()) throw bad(what + " holds " + lit + ", not an integer in range");
                long v = Long.parseLong(lit);
                if (v < 0) throw bad(what + " holds the negative value " + v);
                if (v > max) throw bad(what + " holds " + v + ", more than the limit " + max);
                out.add(v);
            }
            in.endArray();
            return out.stream().mapToLong(Long::longValue).toArray();
        }

        private SafetensorsException bad(String problem) {
            return new SafetensorsException(file, problem);
        }
    }

    /**
     * Reads {@code out.length} elements of {@code dtype} starting at {@code pos}, as floats. With
     * {@code check} (the tensor being read), a chunk that holds NaN or infinity after the conversion
     * (a float type's own, or an F64 too large for float32) is refused.
     */
    private static void readData(Path file, FileChannel ch, long pos, Dtype dtype, float[] out, TensorInfo check) throws IOException {
        int perChunk = CHUNK / dtype.size();
        for (int i = 0; i < out.length; ) {
            int k = Math.min(perChunk, out.length - i);
            ByteBuffer b = readFully(file, ch, pos + (long) i * dtype.size(), k * dtype.size());
            switch (dtype) {
                case F32 -> b.asFloatBuffer().get(out, i, k);
                case F64 -> { for (int j = 0; j < k; j++) out[i + j] = (float) b.getDouble(); }
                case F16 -> { for (int j = 0; j < k; j++) out[i + j] = HalfFloat.f16ToFloat(b.getShort()); }
                case BF16 -> { for (int j = 0; j < k; j++) out[i + j] = HalfFloat.bf16ToFloat(b.getShort()); }
                case I64 -> { for (int j = 0; j < k; j++) out[i + j] = (float) b.getLong(); }
                case I32 -> { for (int j = 0; j < k; j++) out[i + j] = (float) b.getInt(); }
                case I16 -> { for (int j = 0; j < k; j++) out[i + j] = b.getShort(); }
                case I8 -> { for (int j = 0; j < k; j++) out[i + j] = b.get(); }
                case U8 -> { for (int j = 0; j < k; j++) out[i + j] = b.get() & 0xff; }
                case BOOL -> { for (int j = 0; j < k; j++) out[i + j] = b.get() != 0 ? 1f : 0f; }
            }
            if (check != null && dtype.isFloat()) {
                int bad = FiniteCheck.firstNonFinite(out, i, i + k);
                if (bad >= 0)
                    throw new SafetensorsException(file, FiniteCheck.describe(check.name(), check.shape(), bad, out[bad])
                            + "; weights must be finite numbers (a diverged training run, or a corrupt file)");
            }
            i += k;
        }
    }

    /** Exactly {@code len} bytes at {@code pos}, little-endian, ready to read. */
    private static ByteBuffer readFully(Path file, FileChannel ch, long pos, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, pos + b.position()) < 0)
                throw new SafetensorsException(file, "file ended at byte " + (pos + b.position())
                        + " while reading " + len + " bytes at " + pos + " (truncated?)");
        }
        return b.flip();
    }

    // ------------------------------------------------------------------------------- writing

    /** Writes the tensors as F32; see {@link #write(Path, Map, Map, Dtype)}. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        write(file, tensors, metadata, Dtype.F32);
    }

    /**
     * Writes the tensors sorted by name, in {@code dtype} (F32, F16 or BF16; the narrow types
     * round to nearest even), with the metadata (may be null or empty, then it is left out).
     *
     * <p>Atomic: the bytes go to a temporary file in the same directory, are flushed to disk, and
     * the temporary file is then renamed over {@code file}. A crash leaves the old file or the new
     * one, never half of one; on failure the temporary file is removed.
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata, Dtype dtype)
            throws IOException {
        if (dtype != Dtype.F32 && dtype != Dtype.F16 && dtype != Dtype.BF16)
            throw new IllegalArgumentException("safetensors write: dtype " + dtype + " is not supported (use F32, F16 or BF16)");
        TreeMap<String, Tensor> sorted = new TreeMap<>();
        tensors.forEach((name, t) -> {
            if (name == null || t == null) throw new IllegalArgumentException("safetensors write: null tensor name or value");
            if (name.equals(METADATA_KEY)) throw new IllegalArgumentException("safetensors write: '" + METADATA_KEY + "' is reserved");
            sorted.put(name, t);
        });
        byte[] header = headerBytes(sorted, metadata == null ? Map.of() : metadata, dtype);

        AtomicWrite.write(file, tmp -> {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                writeFully(out, ByteBuffer.wrap(header));
                for (Tensor t : sorted.values()) writeData(out, t, dtype);
            }
        });
    }

    /** The 8-byte length followed by the JSON header, padded with spaces to a multiple of 8. */
    private static byte[] headerBytes(TreeMap<String, Tensor> tensors, Map<String, String> metadata, Dtype dtype)
            throws IOException {
        StringWriter sw = new StringWriter();
        JsonWriter w = new JsonWriter(sw);
        w.beginObject();
        if (!metadata.isEmpty()) {
            w.name(METADATA_KEY).beginObject();
            for (Map.Entry<String, String> e : new TreeMap<>(metadata).entrySet()) {
                if (e.getValue() == null) throw new IllegalArgumentException("safetensors write: metadata '" + e.getKey() + "' is null");
                w.name(e.getKey()).value(e.getValue());
            }
            w.endObject();
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            long bytes = (long) e.getValue().numel() * dtype.size();
            w.name(e.getKey()).beginObject().name("dtype").value(dtype.name()).name("shape").beginArray();
            for (int d : e.getValue().shape()) w.value(d);
            w.endArray().name("data_offsets").beginArray().value(offset).value(offset + bytes).endArray().endObject();
            offset += bytes;
        }
        w.endObject().flush();
        byte[] json = sw.toString().getBytes(UTF_8);
        int n = (json.length + 7) & ~7;
        ByteBuffer b = ByteBuffer.allocate(8 + n).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(n).put(json);
        while (b.hasRemaining()) b.put((byte) ' ');
        return b.array();
    }

    /**
     * The tensor's elements in row-major order, little-endian, in chunks. A strided view (say a
     * transpose) is walked with an odometer over its index instead of being copied first.
     */
    private static void writeData(FileChannel out, Tensor t, Dtype dtype) throws IOException {
        float[] src = t.storage().hostArray();
        int[] shape = t.shape(), strides = t.strides(), idx = new int[shape.length];
        boolean contiguous = t.isContiguous();
        int n = t.numel(), pos = t.offset();
        ByteBuffer b = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            float v = src[contiguous ? t.offset() + i : pos];
            switch (dtype) {
                case F16 -> b.putShort((short) HalfFloat.floatToF16(v));
                case BF16 -> b.putShort((short) HalfFloat.floatToBf16(v));
                default -> b.putFloat(v);
            }
            if (!b.hasRemaining()) { // buffer full: write it out and start again
                writeFully(out, b.flip());
                b.clear();
            }
            for (int d = shape.length - 1; d >= 0 && !contiguous; d--) { // next index, last dim fastest
                pos += strides[d];
                if (++idx[d] < shape[d]) break;
                pos -= strides[d] * shape[d];
                idx[d] = 0;
            }
        }
        writeFully(out, b.flip());
    }

    private static void writeFully(FileChannel out, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) out.write(b);
    }
}
