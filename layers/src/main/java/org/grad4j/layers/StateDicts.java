package org.grad4j.layers;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.grad4j.core.Tensor;
import org.grad4j.core.io.DType;
import org.grad4j.core.io.SafeTensors;

/**
 * State dicts to and from safetensors files, in the layout PyTorch's
 * {@code safetensors.torch.save_file(model.state_dict(), path)} writes: one tensor per state-dict
 * key, F32 for parameters and buffers, I64 for integer buffers such as BatchNorm's
 * {@code num_batches_tracked}. grad4j keeps those integers in float32 tensors
 * ({@link Module#integerStateKeys()}); the conversion happens here: on saving they are rounded to
 * I64, on loading I64 values become float32 (exact up to 2^24 in magnitude).
 *
 * <pre>{@code
 * StateDicts.save(net, Path.of("bn-lenet.safetensors"));
 * StateDicts.load(net, SafeTensors.read(Path.of("bn-lenet.safetensors")), true);
 * }</pre>
 */
public final class StateDicts {
    private StateDicts() {
    }

    /**
     * The module's {@link Module#stateDict()} as safetensors entries, in state-dict order: integer
     * buffers as I64 (rounded to the nearest integer), everything else as F32, with the metadata
     * {@code format = pt} that PyTorch's loader expects.
     */
    public static SafeTensors toSafeTensors(Module module) {
        SafeTensors st = new SafeTensors().putMetadata("format", "pt");
        Set<String> integers = module.integerStateKeys();
        for (Map.Entry<String, Tensor> e : module.stateDict().entrySet()) {
            Tensor t = e.getValue();
            if (integers.contains(e.getKey())) {
                float[] values = t.toArray();
                long[] longs = new long[values.length];
                for (int i = 0; i < values.length; i++) {
                    longs[i] = Math.round((double) values[i]);
                }
                st.putLongs(e.getKey(), longs, t.shape());
            } else {
                st.put(e.getKey(), t);
            }
        }
        return st;
    }

    /**
     * Writes {@link #toSafeTensors(Module)} to {@code file}, atomically.
     *
     * @throws IOException if the file cannot be written
     */
    public static void save(Module module, Path file) throws IOException {
        toSafeTensors(module).write(file);
    }

    /**
     * Every tensor of {@code st} as a float32 tensor by name, in file order: F32 entries as they
     * are, I64 entries converted (exact up to 2^24 in magnitude). The metadata is ignored.
     */
    public static Map<String, Tensor> toStateDict(SafeTensors st) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : st.names()) {
            if (st.dtype(name) == DType.I64) {
                long[] longs = st.longs(name);
                float[] values = new float[longs.length];
                for (int i = 0; i < longs.length; i++) {
                    values[i] = longs[i];
                }
                int[] dims = st.shape(name).dims();
                out.put(name, dims.length == 0 ? Tensor.scalar(values[0]) : Tensor.wrap(values, dims));
            } else {
                out.put(name, st.tensor(name));
            }
        }
        return out;
    }

    /**
     * Loads {@code st} into {@code module}: {@code module.loadStateDict(toStateDict(st), strict)}.
     *
     * @throws IllegalArgumentException as {@link Module#loadStateDict}, listing every problem
     */
    public static Module.LoadResult load(Module module, SafeTensors st, boolean strict) {
        return module.loadStateDict(toStateDict(st), strict);
    }

    /**
     * Reads {@code file} and loads it into {@code module}.
     *
     * @throws IOException if the file cannot be read or is not a valid safetensors file
     * @throws IllegalArgumentException as {@link Module#loadStateDict}, listing every problem
     */
    public static Module.LoadResult load(Module module, Path file, boolean strict) throws IOException {
        return load(module, SafeTensors.read(file), strict);
    }
}
