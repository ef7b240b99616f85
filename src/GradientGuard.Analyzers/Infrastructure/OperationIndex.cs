using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// The operations of one operation tree (a body's, as <see cref="SemanticModel.GetOperation"/> returns it), listed once
/// for every rule that walks it. Most rules walk the same bodies for their calls (a loss, a step, a Sequential, an init);
/// each walk through <c>Descendants()</c> paid an iterator's stack and a generic type test for every operation, and
/// together they were the largest part of the rules' time after the text searches (benchmarks/README.md, session 17).
/// </summary>
internal static class OperationIndex
{
    // Weak keys: a tree's lists live as long as the tree (its semantic model), whichever rule asked first.
    private static readonly ConditionalWeakTable<IOperation, Lists> Trees = new();

    // The last tree asked about on this thread: a rule asks about the body it reads several times in a row.
    [ThreadStatic]
    private static IOperation? lastRoot;
    [ThreadStatic]
    private static Lists? lastLists;

    /// <summary>Every operation under <paramref name="root"/>, not <paramref name="root"/> itself, in the order <c>root.Descendants()</c> gives.</summary>
    public static IOperation[] Descendants(IOperation root) => ListsOf(root).All;

    /// <summary>The invocations under <paramref name="root"/>, in the order <c>root.Descendants()</c> gives them.</summary>
    public static IInvocationOperation[] Invocations(IOperation root) => ListsOf(root).Invocations;

    private static Lists ListsOf(IOperation root)
    {
        if (ReferenceEquals(root, lastRoot))
            return lastLists!;
        var lists = Trees.GetValue(root, Walk); // a racing thread may walk the same tree too; either list serves
        (lastRoot, lastLists) = (root, lists);
        return lists;
    }

    // One pre-order walk, as IOperation.Descendants() does it, without an iterator per call.
    private static Lists Walk(IOperation root)
    {
        var all = new List<IOperation>();
        var invocations = new List<IInvocationOperation>();
        var stack = new List<IOperation.OperationList.Enumerator> { root.ChildOperations.GetEnumerator() };
        while (stack.Count > 0)
        {
            int top = stack.Count - 1;
            var children = stack[top];
            if (!children.MoveNext())
            {
                stack.RemoveAt(top);
                continue;
            }
            stack[top] = children; // the enumerator is a struct: keep where it stands
            var operation = children.Current;
            all.Add(operation);
            if (operation.Kind == OperationKind.Invocation)
                invocations.Add((IInvocationOperation)operation);
            stack.Add(operation.ChildOperations.GetEnumerator());
        }
        return new Lists(all.ToArray(), invocations.ToArray());
    }

    private sealed class Lists
    {
        public Lists(IOperation[] all, IInvocationOperation[] invocations) => (All, Invocations) = (all, invocations);

        public IOperation[] All { get; }

        public IInvocationOperation[] Invocations { get; }
    }
}
