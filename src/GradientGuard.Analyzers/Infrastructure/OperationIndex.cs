using System;
using System.Collections;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// The operations of one operation tree (a body's, as <see cref="SemanticModel.GetOperation"/> returns it, or a part of
/// one a rule walks by itself, a loop's body), listed once for every rule that walks it. Most rules walk the same bodies
/// for their calls (a loss, a step, a Sequential, an init); each walk through <c>Descendants()</c> paid an iterator's
/// stack and a generic type test for every operation, and together they were the largest part of the rules' time after
/// the text searches (benchmarks/README.md, session 17).
/// </summary>
internal static class OperationIndex
{
    // Weak keys: a tree's lists live as long as the tree (its semantic model), whichever rule asked first.
    private static readonly ConditionalWeakTable<IOperation, Lists> Trees = new();

    // A walk's working space, kept per thread (a walk calls nothing that could walk again).
    [ThreadStatic]
    private static Walker? walker;

    /// <summary>Every operation under <paramref name="root"/>, not <paramref name="root"/> itself, in the order <c>root.Descendants()</c> gives.</summary>
    public static Operations<IOperation> Descendants(IOperation root) => ListsOf(root).All;

    /// <summary>The invocations under <paramref name="root"/>, in the order <c>root.Descendants()</c> gives them.</summary>
    public static Operations<IInvocationOperation> Invocations(IOperation root) => ListsOf(root).Invocations;

    // No last-asked cache per thread, as TreeText keeps for trees: an operation holds its semantic model, and so its
    // compilation, which a long-lived host's threads would keep alive between builds.
    private static Lists ListsOf(IOperation root) =>
        Trees.GetValue(root, r => (walker ??= new Walker()).Walk(r)); // a racing thread may walk the same tree; either list serves

    private sealed class Lists
    {
        public Lists(Operations<IOperation> all, Operations<IInvocationOperation> invocations) => (All, Invocations) = (all, invocations);

        public Operations<IOperation> All { get; }

        public Operations<IInvocationOperation> Invocations { get; }
    }

    // One pre-order walk, as IOperation.Descendants() does it, without an iterator per call. The operations are gathered
    // in slots, a struct holding one: a store into an array of a reference type is a call that checks the element's type
    // (arrays are covariant), which took a third of the walk for an interface's array and still 4 % of the rules'
    // samples for an object array; a store into a slot's field is a plain write. The walk is compiled optimized at first
    // call (Jit), and its working space is plain arrays indexed in place: the enumerators, structs, are moved where they
    // stand. With a list of them, marked, the walk lost to the unmarked one once that had been recompiled with the
    // profile; unmarked, it ran unoptimized for many passes, every list access a call and every enumerator copied out of
    // the list and back at each step.
    private sealed class Walker
    {
        private IOperation.OperationList.Enumerator[] stack = new IOperation.OperationList.Enumerator[64];
        private OperationSlot[] all = new OperationSlot[1024];
        private OperationSlot[] invocations = new OperationSlot[256];

        [MethodImpl(Jit.OptimizedAtFirstCall)]
        public Lists Walk(IOperation root)
        {
            int allCount = 0, invocationCount = 0, deepest = 0;
            try
            {
                return Walk(root, ref allCount, ref invocationCount, ref deepest);
            }
            finally
            {
                // The working space holds no tree after a walk, even one that threw.
                Array.Clear(stack, 0, deepest);
                Array.Clear(all, 0, allCount);
                Array.Clear(invocations, 0, invocationCount);
            }
        }

        [MethodImpl(Jit.OptimizedAtFirstCall)]
        private Lists Walk(IOperation root, ref int allCount, ref int invocationCount, ref int deepest)
        {
            int depth = 0;
            stack[depth++] = root.ChildOperations.GetEnumerator();
            deepest = 1;
            while (depth > 0)
            {
                ref var children = ref stack[depth - 1]; // the enumerator is a struct: moved where it stands
                if (!children.MoveNext())
                {
                    depth--;
                    continue;
                }
                var operation = children.Current;
                if (allCount == all.Length)
                    Array.Resize(ref all, allCount * 2);
                all[allCount++].Item = operation;
                if (operation.Kind == OperationKind.Invocation)
                {
                    if (invocationCount == invocations.Length)
                        Array.Resize(ref invocations, invocationCount * 2);
                    invocations[invocationCount++].Item = operation;
                }
                if (depth == stack.Length)
                    Array.Resize(ref stack, depth * 2); // after the last use of `children`, which pointed into the old array
                stack[depth++] = operation.ChildOperations.GetEnumerator();
                if (depth > deepest)
                    deepest = depth;
            }
            return new Lists(new Operations<IOperation>(Take(all, allCount)), new Operations<IInvocationOperation>(Take(invocations, invocationCount)));
        }

        // The gathered operations, copied out.
        private static OperationSlot[] Take(OperationSlot[] items, int count)
        {
            if (count == 0)
                return Array.Empty<OperationSlot>();
            var taken = new OperationSlot[count];
            Array.Copy(items, taken, count);
            return taken;
        }
    }
}

/// <summary>
/// Operations of one kind listed by <see cref="OperationIndex"/>: read-only, and read without a type test (every item was
/// put in as a <typeparamref name="T"/>).
/// </summary>
internal sealed class Operations<T> : IReadOnlyList<T>
    where T : class, IOperation
{
    private readonly OperationSlot[] items;

    internal Operations(OperationSlot[] items) => this.items = items;

    /// <inheritdoc />
    public int Count => items.Length;

    /// <inheritdoc />
    public T this[int index] => Unsafe.As<T>(items[index].Item);

    /// <summary>An enumerator that allocates nothing, for <c>foreach</c>.</summary>
    public Enumerator GetEnumerator() => new(items);

    IEnumerator<T> IEnumerable<T>.GetEnumerator()
    {
        foreach (var slot in items)
            yield return Unsafe.As<T>(slot.Item);
    }

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<T>)this).GetEnumerator();

    /// <summary>Walks the items in order.</summary>
    public struct Enumerator
    {
        private readonly OperationSlot[] items;
        private int index;

        internal Enumerator(OperationSlot[] items) => (this.items, index) = (items, -1);

        /// <summary>The item at the current position.</summary>
        public T Current => Unsafe.As<T>(items[index].Item);

        /// <summary>Moves to the next item; false past the last.</summary>
        public bool MoveNext() => ++index < items.Length;
    }
}

/// <summary>One gathered operation (<see cref="OperationIndex"/>): stored in an array of these without a type check.</summary>
internal struct OperationSlot
{
    public IOperation Item;
}
