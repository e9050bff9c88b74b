package org.grad4j.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.grad4j.core.Shape;
import org.grad4j.core.Tensor;
import org.grad4j.core.internal.Json;

/**
 * Named tensors and string metadata in the <a href="https://github.com/huggingface/safetensors">safetensors</a>
 * format: PyTorch's golden test vectors in the tests' resources and grad4j's checkpoints.
 *
 * <p>A file is an 8-byte little-endian unsigned header length {@code N}, {@code N} bytes of UTF-8
 * JSON, then the tensor bytes (little-endian, row-major). The header maps each tensor name to
 * {@code {"dtype": "F32" | "I64", "shape": [..], "data_offsets": [begin, end]}}, offsets counted
 * from the first byte after the header; the optional key {@code __metadata__} maps strings to
 * strings.
 *
 * <p>Reading validates the whole header before it allocates any tensor: a header of at most
 * 100 MB (100,000,000 bytes) that fits in the file, strict UTF-8 and JSON without duplicate
 * keys, exactly the three fields per tensor, a supported dtype, non-negative dimensions,
 * {@code end - begin = product(shape) * dtype size}, offsets contiguous from 0 and ending exactly at
 * the end of the file, and string-to-string metadata. Writing pads the header with spaces so the
 * data starts at a multiple of 8 and replaces the target file atomically.
 *
 * <pre>{@code
 * new SafeTensors()
 *         .put("fc.weight", w)
 *         .putLongs("labels", new long[] {3, 1, 4})
 *         .putMetadata("lr", "0.9")
 *         .write(Path.of("model.safetensors"));
 * SafeTensors st = SafeTensors.read(Path.of("model.safetensors"));
 * Tensor w2 = st.tensor("fc.weight");
 * }</pre>
 *
 * <p>Instances keep their own copies of the values: {@code put} copies, getters return fresh arrays
 * and tensors. Names keep insertion order (header order for a file that was read). Not thread-safe.
 */
public final class SafeTensors {
    /** The largest header accepted (and written): 100 MB, as the reference implementation. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    /** The reserved header key for the string metadata. */
    private static final String METADATA_KEY = "__metadata__";
    private static final List<String> FIELDS = List.of("dtype", "shape", "data_offsets");
    /** Bytes moved per read or write call. */
    private static final int CHUNK = 1 << 16;

    /** A tensor: dtype, shape and exactly one of the two value arrays. */
    private record Entry(DType dtype, Shape shape, float[] floats, long[] longs) {
        long byteCount() {
            return (long) shape.size() * dtype.byteSize();
        }
    }

    /** A tensor entry of a header being read, validated but not yet loaded. */
    private record Spec(String name, DType dtype, Shape shape, long begin, long end) {
    }

    private final Map<String, Entry> tensors = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /** An empty collection: no tensors, no metadata. */
    public SafeTensors() {
    }

    // ---------------------------------------------------------------- building

    /**
     * Adds a copy of the values of {@code tensor} as an {@link DType#F32} tensor of the same shape.
     * Later changes to {@code tensor} are not seen.
     *
     * @return this
     * @throws IllegalArgumentException if the name is empty, is {@code __metadata__}, holds an
     *     unpaired surrogate or is already used
     * @throws NullPointerException if an argument is null
     */
    public SafeTensors put(String name, Tensor tensor) {
        checkNewName("put", name);
        if (tensor == null) {
            throw new NullPointerException("put: tensor '" + name + "' is null");
        }
        tensors.put(name, new Entry(DType.F32, tensor.shape(), tensor.toArray(), null));
        return this;
    }

    /**
     * Adds a copy of {@code values} as an {@link DType#I64} tensor, row-major in the shape
     * {@code dims}; with no {@code dims} the tensor is one-dimensional (as {@link Tensor#of}). Use
     * {@link #putLongs(String, long[], Shape)} for a scalar.
     *
     * @return this
     * @throws IllegalArgumentException if the name is empty, is {@code __metadata__}, holds an
     *     unpaired surrogate or is already used, if a dimension is negative, or if the number of
     *     values does not match the shape
     * @throws NullPointerException if an argument is null
     */
    public SafeTensors putLongs(String name, long[] values, int... dims) {
        if (values == null) {
            throw new NullPointerException("putLongs: values of '" + name + "' are null");
        }
        return putLongs(name, values, dims.length == 0 ? Shape.of(values.length) : Shape.of(dims));
    }

    /**
     * Adds a copy of {@code values} as an {@link DType#I64} tensor of the given shape, which may be
     * {@link Shape#SCALAR} (one value) or have zero dimensions (no values).
     *
     * @return this
     * @throws IllegalArgumentException if the name is empty, is {@code __metadata__}, holds an
     *     unpaired surrogate or is already used, or if the number of values does not match the shape
     * @throws NullPointerException if an argument is null
     */
    public SafeTensors putLongs(String name, long[] values, Shape shape) {
        checkNewName("putLongs", name);
        if (values == null || shape == null) {
            throw new NullPointerException("putLongs: values and shape of '" + name + "' must not be null");
        }
        if (values.length != shape.size()) {
            throw new IllegalArgumentException("putLongs: " + values.length + " values do not fill shape " + shape
                    + " of '" + name + "' (expected " + shape.size() + ")");
        }
        tensors.put(name, new Entry(DType.I64, shape, null, values.clone()));
        return this;
    }

    /**
     * Adds a metadata entry, written under {@code __metadata__} in the header.
     *
     * @return this
     * @throws IllegalArgumentException if the key is empty or already used, or if the key or value
     *     holds an unpaired surrogate (it could not be written as UTF-8)
     * @throws NullPointerException if an argument is null
     */
    public SafeTensors putMetadata(String key, String value) {
        if (key == null || value == null) {
            throw new NullPointerException("putMetadata: key and value must not be null (key " + key + ")");
        }
        if (key.isEmpty()) {
            throw new IllegalArgumentException("putMetadata: the key must not be empty");
        }
        checkWellFormed("putMetadata", "key", key);
        checkWellFormed("putMetadata", "value of " + Json.quote(key), value);
        if (metadata.containsKey(key)) {
            throw new IllegalArgumentException("putMetadata: duplicate key " + Json.quote(key));
        }
        metadata.put(key, value);
        return this;
    }

    private void checkNewName(String op, String name) {
        if (name == null) {
            throw new NullPointerException(op + ": the tensor name must not be null");
        }
        if (name.isEmpty()) {
            throw new IllegalArgumentException(op + ": the tensor name must not be empty");
        }
        if (name.equals(METADATA_KEY)) {
            throw new IllegalArgumentException(op + ": '" + METADATA_KEY
                    + "' is reserved for the metadata, use putMetadata");
        }
        checkWellFormed(op, "tensor name", name);
        if (tensors.containsKey(name)) {
            throw new IllegalArgumentException(op + ": duplicate tensor name " + Json.quote(name));
        }
    }

    private static void checkWellFormed(String op, String what, String s) {
        int i = Json.unpairedSurrogate(s);
        if (i >= 0) {
            throw new IllegalArgumentException(op + ": " + what + " " + Json.quote(s)
                    + " holds an unpaired surrogate at index " + i + " (not encodable as UTF-8)");
        }
    }

    // ---------------------------------------------------------------- getters

    /** The tensor names in insertion order (header order for a file that was read); unmodifiable. */
    public Set<String> names() {
        return Collections.unmodifiableSet(tensors.keySet());
    }

    /** Whether a tensor of this name exists. */
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /**
     * The element type of a tensor.
     *
     * @throws IllegalArgumentException if there is no tensor of this name
     */
    public DType dtype(String name) {
        return entry("dtype", name).dtype();
    }

    /**
     * The shape of a tensor.
     *
     * @throws IllegalArgumentException if there is no tensor of this name
     */
    public Shape shape(String name) {
        return entry("shape", name).shape();
    }

    /**
     * A new {@link Tensor} holding a copy of an {@link DType#F32} tensor's values (no gradient).
     *
     * @throws IllegalArgumentException if there is no tensor of this name, or it is not F32
     */
    public Tensor tensor(String name) {
        Entry e = entry("tensor", name);
        if (e.dtype() != DType.F32) {
            throw new IllegalArgumentException("tensor: tensor " + Json.quote(name) + " is " + e.dtype()
                    + ", use longs() or ints()");
        }
        float[] values = e.floats().clone();
        return e.shape().rank() == 0 ? Tensor.scalar(values[0]) : Tensor.wrap(values, e.shape().dims());
    }

    /**
     * A copy of an {@link DType#I64} tensor's values, row-major.
     *
     * @throws IllegalArgumentException if there is no tensor of this name, or it is not I64
     */
    public long[] longs(String name) {
        return i64("longs", name).clone();
    }

    /**
     * An {@link DType#I64} tensor's values as {@code int}s, row-major: class labels, say.
     *
     * @throws IllegalArgumentException if there is no tensor of this name, if it is not I64, or if a
     *     value lies outside the {@code int} range
     */
    public int[] ints(String name) {
        long[] values = i64("ints", name);
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            long v = values[i];
            if (v != (int) v) {
                throw new IllegalArgumentException("ints: tensor " + Json.quote(name) + " holds " + v + " at index "
                        + i + ", outside the int range");
            }
            out[i] = (int) v;
        }
        return out;
    }

    /** The metadata in insertion order (header order for a file that was read); unmodifiable. */
    public Map<String, String> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    private long[] i64(String op, String name) {
        Entry e = entry(op, name);
        if (e.dtype() != DType.I64) {
            throw new IllegalArgumentException(op + ": tensor " + Json.quote(name) + " is " + e.dtype()
                    + ", use tensor()");
        }
        return e.longs();
    }

    private Entry entry(String op, String name) {
        Entry e = tensors.get(name);
        if (e != null) {
            return e;
        }
        StringBuilder sb = new StringBuilder(op).append(": no tensor ")
                .append(name == null ? "null" : Json.quote(name)).append(" (");
        if (tensors.isEmpty()) {
            sb.append("there are none");
        } else {
            sb.append("available: ");
            Iterator<String> it = tensors.keySet().iterator();
            for (int i = 0; i < 5 && it.hasNext(); i++) {
                sb.append(i > 0 ? ", " : "").append(Json.quote(it.next()));
            }
            if (tensors.size() > 5) {
                sb.append(", ... ").append(tensors.size()).append(" in all");
            }
        }
        throw new IllegalArgumentException(sb.append(')').toString());
    }

    // ---------------------------------------------------------------- writing

    /**
     * Writes the tensors (in insertion order) and the metadata to {@code file}, replacing it
     * atomically: the bytes go to a temporary file in the same directory, which is forced to disk
     * and then moved over {@code file}. If anything fails, the temporary file is deleted and an
     * existing {@code file} is left as it was.
     *
     * <p>The header lists {@code __metadata__} first (if there is metadata), then the tensors with
     * contiguous offsets; it is padded with spaces so that the data begins at a multiple of 8.
     *
     * @throws IOException if the file cannot be written or moved into place, or if the header would
     *     exceed the 100 MB that readers accept
     */
    public void write(Path file) throws IOException {
        Path target = file.toAbsolutePath();
        byte[] header = header();
        if (header.length > MAX_HEADER_BYTES) {
            throw new IOException(target.getFileName() + ": the header would be " + header.length
                    + " bytes, more than the " + MAX_HEADER_BYTES + " that readers accept");
        }
        AtomicFiles.write(target, ch -> writeContents(ch, header));
    }

    private void writeContents(FileChannel ch, byte[] header) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(header.length).flip();
        writeFully(ch, buf);
        writeFully(ch, ByteBuffer.wrap(header));
        for (Entry e : tensors.values()) {
            if (e.dtype() == DType.F32) {
                float[] v = e.floats();
                for (int off = 0; off < v.length; off += CHUNK / 4) {
                    int n = Math.min(CHUNK / 4, v.length - off);
                    buf.clear();
                    buf.asFloatBuffer().put(v, off, n);
                    buf.limit(n * 4);
                    writeFully(ch, buf);
                }
            } else {
                long[] v = e.longs();
                for (int off = 0; off < v.length; off += CHUNK / 8) {
                    int n = Math.min(CHUNK / 8, v.length - off);
                    buf.clear();
                    buf.asLongBuffer().put(v, off, n);
                    buf.limit(n * 8);
                    writeFully(ch, buf);
                }
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    /** The header JSON as UTF-8, padded with spaces so that 8 + its length is a multiple of 8. */
    byte[] header() {
        StringBuilder sb = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            Json.appendString(sb, METADATA_KEY);
            sb.append(":{");
            boolean first = true;
            for (Map.Entry<String, String> m : metadata.entrySet()) {
                sb.append(first ? "" : ",");
                first = false;
                Json.appendString(sb, m.getKey());
                sb.append(':');
                Json.appendString(sb, m.getValue());
            }
            sb.append('}');
        }
        long offset = 0;
        for (Map.Entry<String, Entry> t : tensors.entrySet()) {
            Entry e = t.getValue();
            sb.append(sb.length() > 1 ? "," : "");
            Json.appendString(sb, t.getKey());
            sb.append(":{\"dtype\":\"").append(e.dtype()).append("\",\"shape\":[");
            int[] dims = e.shape().dims();
            for (int i = 0; i < dims.length; i++) {
                sb.append(i > 0 ? "," : "").append(dims[i]);
            }
            long end = offset + e.byteCount();
            sb.append("],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
        }
        sb.append('}');
        byte[] utf8 = sb.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (utf8.length + 7) & ~7;
        if (padded == utf8.length) {
            return utf8;
        }
        byte[] out = Arrays.copyOf(utf8, padded);
        Arrays.fill(out, utf8.length, padded, (byte) ' ');
        return out;
    }

    // ---------------------------------------------------------------- reading

    /**
     * Reads and validates a safetensors file with {@link DType#F32} and {@link DType#I64} tensors.
     * Names keep the header's order.
     *
     * @throws SafeTensorsFormatException if the file is not a valid safetensors file or uses
     *     another dtype; the message names the file, what was found and what was expected
     * @throws IOException if the file cannot be read
     */
    public static SafeTensors read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(ch::read, ch.size(), String.valueOf(file.getFileName()));
        }
    }

    /**
     * Reads and validates the content of a safetensors file held in memory, as {@link #read(Path)}
     * does a file.
     *
     * @param name what the messages call the content, such as its file name
     * @throws SafeTensorsFormatException if {@code content} is not a valid safetensors file or uses
     *     another dtype; the message starts with {@code name}
     */
    public static SafeTensors parse(byte[] content, String name) throws SafeTensorsFormatException {
        try {
            return read((buf, position) -> {
                if (position >= content.length) {
                    return -1;
                }
                int n = (int) Math.min(buf.remaining(), content.length - position);
                buf.put(content, (int) position, n);
                return n;
            }, content.length, name);
        } catch (SafeTensorsFormatException e) {
            throw e;
        } catch (IOException e) {
            throw new AssertionError("reading memory cannot fail", e);
        }
    }

    /** Reads into a buffer from a byte position: {@link FileChannel#read(ByteBuffer, long)}, or memory. */
    @FunctionalInterface
    private interface Source {
        /** Reads up to {@code buf.remaining()} bytes; returns how many, or -1 at the end. */
        int read(ByteBuffer buf, long position) throws IOException;
    }

    private static SafeTensors read(Source ch, long size, String name) throws IOException {
        if (size < 8) {
            throw fail(name, "file holds " + size + " bytes, expected at least 8 (the header length)");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lengthBytes, 0, name, "the header length");
        long headerLength = lengthBytes.getLong(0);
        if (Long.compareUnsigned(headerLength, MAX_HEADER_BYTES) > 0) {
            throw fail(name, "header length " + Long.toUnsignedString(headerLength)
                    + " exceeds the 100 MB limit");
        }
        if (headerLength > size - 8) {
            throw fail(name, "header length " + headerLength + " runs past the end of the file: "
                    + (8 + headerLength) + " bytes needed, the file holds " + size);
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
        readFully(ch, headerBytes, 8, name, "the header");
        headerBytes.flip();
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(headerBytes).toString();
        } catch (CharacterCodingException e) {
            throw fail(name, "header is not valid UTF-8");
        }
        Object root;
        try {
            root = Json.parse(text);
        } catch (Json.SyntaxException e) {
            throw fail(name, "header is not valid JSON: " + e.getMessage());
        }
        if (!(root instanceof Map<?, ?> header)) {
            throw fail(name, "header is " + Json.typeName(root) + ", expected a JSON object");
        }

        SafeTensors out = new SafeTensors();
        List<Spec> specs = new ArrayList<>();
        for (Map.Entry<?, ?> kv : header.entrySet()) {
            String key = (String) kv.getKey();
            if (key.equals(METADATA_KEY)) {
                readMetadata(name, kv.getValue(), out.metadata);
            } else {
                specs.add(spec(name, key, kv.getValue()));
            }
        }

        long dataSize = size - 8 - headerLength;
        List<Spec> byOffset = new ArrayList<>(specs);
        byOffset.sort(Comparator.comparingLong(Spec::begin).thenComparingLong(Spec::end));
        long expected = 0;
        for (Spec s : byOffset) {
            if (s.begin() != expected) {
                throw fail(name, "tensor " + Json.quote(s.name()) + ": data_offsets begin at " + s.begin()
                        + ", expected " + expected + " (offsets must be contiguous from 0)");
            }
            expected = s.end();
        }
        if (expected != dataSize) {
            throw fail(name, "data ends at byte " + expected + " of the data section, but the file holds "
                    + dataSize + " bytes of data");
        }

        long base = 8 + headerLength;
        ByteBuffer buf = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        for (Spec s : specs) {
            out.tensors.put(s.name(), load(ch, buf, base, s, name));
        }
        return out;
    }

    private static Entry load(Source ch, ByteBuffer buf, long base, Spec s, String file)
            throws IOException {
        int n = s.shape().size();
        long position = base + s.begin();
        String what = "tensor " + Json.quote(s.name());
        if (s.dtype() == DType.F32) {
            float[] v = new float[n];
            for (int off = 0; off < n; off += CHUNK / 4) {
                int k = Math.min(CHUNK / 4, n - off);
                buf.clear().limit(k * 4);
                readFully(ch, buf, position, file, what);
                buf.flip();
                buf.asFloatBuffer().get(v, off, k);
                position += k * 4L;
            }
            return new Entry(DType.F32, s.shape(), v, null);
        }
        long[] v = new long[n];
        for (int off = 0; off < n; off += CHUNK / 8) {
            int k = Math.min(CHUNK / 8, n - off);
            buf.clear().limit(k * 8);
            readFully(ch, buf, position, file, what);
            buf.flip();
            buf.asLongBuffer().get(v, off, k);
            position += k * 8L;
        }
        return new Entry(DType.I64, s.shape(), null, v);
    }

    /** Fills {@code buf} from {@code position}; a file that shrank meanwhile is a format error. */
    private static void readFully(Source ch, ByteBuffer buf, long position, String file, String what)
            throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, position);
            if (n < 0) {
                throw fail(file, "file ended at byte " + position + " while reading " + what);
            }
            position += n;
        }
    }

    private static void readMetadata(String file, Object value, Map<String, String> into)
            throws SafeTensorsFormatException {
        if (!(value instanceof Map<?, ?> map)) {
            throw fail(file, METADATA_KEY + " is " + Json.typeName(value) + ", expected an object of strings");
        }
        for (Map.Entry<?, ?> kv : map.entrySet()) {
            String key = (String) kv.getKey();
            if (!(kv.getValue() instanceof String s)) {
                throw fail(file, METADATA_KEY + " value for " + Json.quote(key) + " is "
                        + Json.typeName(kv.getValue()) + ", expected a string");
            }
            into.put(key, s);
        }
    }

    private static Spec spec(String file, String key, Object value) throws SafeTensorsFormatException {
        String at = "tensor " + Json.quote(key) + ": ";
        if (!(value instanceof Map<?, ?> fields)) {
            throw fail(file, at + "entry is " + Json.typeName(value)
                    + ", expected an object with dtype, shape and data_offsets");
        }
        for (String f : FIELDS) {
            if (!fields.containsKey(f)) {
                throw fail(file, at + "missing field '" + f + "'");
            }
        }
        for (Object f : fields.keySet()) {
            if (!FIELDS.contains(f)) {
                throw fail(file, at + "unexpected field " + Json.quote((String) f)
                        + " (expected dtype, shape and data_offsets)");
            }
        }

        Object dtypeValue = fields.get("dtype");
        if (!(dtypeValue instanceof String dtypeName)) {
            throw fail(file, at + "dtype is " + Json.typeName(dtypeValue) + ", expected a string");
        }
        DType dtype;
        if (dtypeName.equals("F32")) {
            dtype = DType.F32;
        } else if (dtypeName.equals("I64")) {
            dtype = DType.I64;
        } else {
            throw fail(file, "unsupported dtype " + Json.quote(dtypeName) + " for tensor " + Json.quote(key)
                    + " (supported: F32, I64)");
        }

        Object shapeValue = fields.get("shape");
        if (!(shapeValue instanceof List<?> shapeList)) {
            throw fail(file, at + "shape is " + Json.typeName(shapeValue)
                    + ", expected an array of non-negative integers");
        }
        int[] dims = new int[shapeList.size()];
        long elements = 1;
        for (int i = 0; i < dims.length; i++) {
            long d = index(file, at + "shape", shapeList, i, Integer.MAX_VALUE);
            dims[i] = (int) d;
            elements *= d; // both factors are at most 2^31 - 1: no overflow
            if (elements > Integer.MAX_VALUE) {
                throw fail(file, at + "shape " + Json.toJson(shapeList)
                        + " multiplies out past " + Integer.MAX_VALUE + " elements, the most a tensor holds");
            }
        }
        Shape shape = Shape.of(dims);

        Object offsetsValue = fields.get("data_offsets");
        if (!(offsetsValue instanceof List<?> offsets) || offsets.size() != 2) {
            throw fail(file, at + "data_offsets is " + Json.toJson(offsetsValue) + ", expected [begin, end]");
        }
        long begin = index(file, at + "data_offsets", offsets, 0, Long.MAX_VALUE);
        long end = index(file, at + "data_offsets", offsets, 1, Long.MAX_VALUE);
        if (end < begin) {
            throw fail(file, at + "data_offsets " + Json.toJson(offsets) + " end before they begin");
        }
        long bytes = elements * dtype.byteSize();
        if (end - begin != bytes) {
            throw fail(file, at + "data_offsets " + Json.toJson(offsets) + " hold " + (end - begin)
                    + " bytes, expected " + bytes + " for " + dtype + " " + shape);
        }
        return new Spec(key, dtype, shape, begin, end);
    }

    /** Element {@code i} of a JSON array as a non-negative integer of at most {@code max}. */
    private static long index(String file, String what, List<?> list, int i, long max)
            throws SafeTensorsFormatException {
        Object v = list.get(i);
        long n = v instanceof Json.Num num ? num.nonNegativeLong() : Json.Num.NOT_A_NON_NEGATIVE_INTEGER;
        if (n == Json.Num.NOT_A_NON_NEGATIVE_INTEGER) {
            throw fail(file, what + " " + Json.toJson(list) + " holds " + Json.toJson(v)
                    + ", expected non-negative integers");
        }
        if (n == Json.Num.TOO_LARGE || n > max) {
            throw fail(file, what + " " + Json.toJson(list) + " holds " + v + ", more than " + max);
        }
        return n;
    }

    private static SafeTensorsFormatException fail(String file, String message) {
        return new SafeTensorsFormatException(file + ": " + message);
    }
}
