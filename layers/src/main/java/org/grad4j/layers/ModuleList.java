package org.grad4j.layers;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.grad4j.core.Tensor;

/**
 * A list of modules registered as children {@code "0"}, {@code "1"}, ..., PyTorch's
 * {@code nn.ModuleList}: their parameters, buffers and training flags belong to the module that
 * holds the list, and the state-dict keys are PyTorch's ({@code blocks.0.conv1.weight}). Unlike
 * {@link Sequential} it has no forward of its own: the owner's {@code forward} decides how the
 * modules are called (in a loop, with skips, several at once).
 *
 * <pre>{@code
 * private final ModuleList blocks = child("blocks", new ModuleList(new Linear(8, 8), new Linear(8, 8)));
 *
 * public Tensor forward(Tensor x) {
 *     for (Module b : blocks) {
 *         x = x.add(b.forward(x));
 *     }
 *     return x;
 * }
 * }</pre>
 */
public final class ModuleList extends Module implements Iterable<Module> {
    private final List<Module> modules = new ArrayList<>();

    /**
     * A list of the given modules, in order.
     *
     * @throws NullPointerException if a module is null
     * @throws IllegalArgumentException if a module would contain this list
     */
    public ModuleList(Module... modules) {
        for (Module m : modules) {
            add(m);
        }
    }

    /**
     * Appends {@code module} under the next index; returns {@code this}.
     *
     * @throws NullPointerException if {@code module} is null
     * @throws IllegalArgumentException if the module is this list or contains it
     */
    public ModuleList add(Module module) {
        modules.add(child(String.valueOf(modules.size()), module));
        return this;
    }

    /**
     * The module at {@code index}.
     *
     * @throws IndexOutOfBoundsException if there is none
     */
    public Module get(int index) {
        return modules.get(index);
    }

    /** The number of modules. */
    public int size() {
        return modules.size();
    }

    /** The modules in order (unmodifiable). */
    @Override
    public Iterator<Module> iterator() {
        return Collections.unmodifiableList(modules).iterator();
    }

    /**
     * Always throws, as PyTorch's {@code ModuleList} has no forward.
     *
     * @throws IllegalStateException always: the owner calls the modules in its own forward
     */
    @Override
    public Tensor forward(Tensor x) {
        throw new IllegalStateException("ModuleList has no forward: call its modules in the forward of the module"
                + " that holds it (or use a Sequential to chain them)");
    }
}
