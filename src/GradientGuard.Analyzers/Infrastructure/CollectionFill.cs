using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace GradientGuard.Analyzers.Infrastructure;

/// <summary>
/// Replays the statements that fill one list, array or <c>ModuleList</c> of layers, to learn what it holds and in what
/// order: <c>for</c> loops whose bounds are compile-time constants (nested ones too) are run with their counters,
/// <c>if</c>s on those counters are decided, <c>foreach</c> over an array literal or <c>Enumerable.Range</c> of
/// constants is repeated, and <c>Add(x)</c> / <c>array[i] = x</c> are recorded. Anything else that touches the
/// collection (a helper it is passed to, a bound known only at run time, a <c>break</c>) makes its contents unknown,
/// and the rules stay quiet.
/// </summary>
internal sealed class CollectionFill
{
    private const int MaxIterations = 4096;
    private const int MaxElements = 512;

    private readonly ISymbol target;
    private readonly int stopAt;
    private readonly Dictionary<ILocalSymbol, long> counters = new(SymbolEqualityComparer.Default);
    private List<IOperation?>? items;
    private int iterations;

    private CollectionFill(ISymbol target, int stopAt)
    {
        this.target = target;
        this.stopAt = stopAt;
    }

    /// <summary>
    /// The values put into <paramref name="target"/> (a local, or a field or property of this instance) by
    /// <paramref name="bodies"/>, run in order up to the statement that holds position <paramref name="stopAt"/>;
    /// null when that is not known at compile time.
    /// </summary>
    public static List<IOperation>? Replay(ISymbol target, IEnumerable<IOperation> bodies, int stopAt = int.MaxValue)
    {
        var fill = new CollectionFill(target, stopAt);
        foreach (var body in bodies)
        {
            if (!fill.Run(body))
                return null;
        }
        return fill.items is { } items && items.All(i => i is not null) ? items.Select(i => i!).ToList() : null;
    }

    private bool Run(IOperation operation)
    {
        switch (operation)
        {
            case IBlockOperation block:
                return RunAll(block.Operations);
            case IMethodBodyOperation or IConstructorBodyOperation:
                return RunAll(operation.ChildOperations);
            case IVariableDeclarationGroupOperation group:
                return group.Declarations.SelectMany(d => d.Declarators).All(Declare);
            case IExpressionStatementOperation statement:
                return Evaluate(statement.Operation);
            case ILoopOperation loop when !Touches(loop):
                return true;
            case ILoopOperation loop when loop.Body.DescendantsAndSelf().Any(o => o is IBranchOperation or IReturnOperation):
                return false; // a break, continue or return decides how often the body runs
            case IForLoopOperation loop:
                return For(loop);
            case IForEachLoopOperation loop:
                return ForEach(loop);
            case IConditionalOperation conditional when Condition(conditional.Condition) is { } holds:
                return holds ? Run(conditional.WhenTrue) : conditional.WhenFalse is null || Run(conditional.WhenFalse);
            case IFieldInitializerOperation initializer when initializer.InitializedFields.Contains(target, SymbolEqualityComparer.Default):
                return Create(initializer.Value);
            case IPropertyInitializerOperation initializer when initializer.InitializedProperties.Contains(target, SymbolEqualityComparer.Default):
                return Create(initializer.Value);
            default:
                return !Touches(operation);
        }
    }

    // Statements in order, up to the one that holds the use (return nn.Sequential(layers)): a block holding it is
    // entered, any other statement holding it ends the replay.
    private bool RunAll(IEnumerable<IOperation> operations)
    {
        foreach (var operation in operations)
        {
            if (operation.Syntax.SpanStart >= stopAt)
                break;
            if (operation.Syntax.Span.End > stopAt)
                return operation is not IBlockOperation block || RunAll(block.Operations);
            if (!Run(operation))
                return false;
        }
        return true;
    }

    private bool Declare(IVariableDeclaratorOperation declarator)
    {
        if (!SymbolEqualityComparer.Default.Equals(declarator.Symbol, target))
            return declarator.Initializer is null || !Touches(declarator.Initializer);
        return declarator.GetVariableInitializer()?.Value is { } value && Create(value);
    }

    private bool Evaluate(IOperation expression)
    {
        switch (expression)
        {
            case IInvocationOperation call when Refers(call.Instance):
                if (call.TargetMethod.Name == "Add" && call.Arguments.Length == 1)
                    return Append(call.Arguments[0].Value);
                return call.TargetMethod.Name is "Count" or "Contains" or "IndexOf"; // reads; any other call may change it
            case ISimpleAssignmentOperation { Target: IArrayElementReferenceOperation element } assignment when Refers(element.ArrayReference):
                return element.Indices.Length == 1 && Value(element.Indices[0]) is long index && Set(index, assignment.Value);
            case ISimpleAssignmentOperation assignment when Refers(assignment.Target):
                return Create(assignment.Value);
            default:
                return !Touches(expression);
        }
    }

    // new List<T> { ... }, new ModuleList<T>(a, b), nn.ModuleList(a, b), new T[n], new[] { a, b }.
    private bool Create(IOperation value)
    {
        items = new List<IOperation?>();
        switch (value.WithoutConversions())
        {
            case IArrayCreationOperation array:
                if (array.Initializer is { } elements)
                    return elements.ElementValues.All(Append);
                if (array.DimensionSizes.Length != 1 || Value(array.DimensionSizes[0]) is not long size || size > MaxElements)
                    return false;
                items.AddRange(Enumerable.Repeat<IOperation?>(null, (int)size));
                return true;
            case { Syntax: CollectionExpressionSyntax } collection:
                return CollectionExpressions.Elements(collection) is { } values && values.All(Append); // List<T> layers = [a, b];
            case IObjectCreationOperation creation:
                return creation.Arguments.All(Constructed) &&
                       (creation.Initializer is null || creation.Initializer.Initializers.All(AddedByInitializer));
            case IInvocationOperation { TargetMethod.Name: "ModuleList" } factory:
                return factory.Arguments.All(Constructed);
            default:
                return false;
        }

        // new ModuleList<T>(params T[] modules) and nn.ModuleList(...) take the modules; new List<T>(capacity) takes a
        // count. Anything else (a collection to copy) is not followed.
        bool Constructed(IArgumentOperation argument) =>
            argument.ArgumentKind == ArgumentKind.ParamArray && argument.Value is IArrayCreationOperation { Initializer: { } modules }
                ? modules.ElementValues.All(Append)
                : argument.Value.Type?.SpecialType == SpecialType.System_Int32;

        // A collection initializer's Add(x) is an invocation whose instance is implicit.
        bool AddedByInitializer(IOperation initializer) =>
            initializer is IInvocationOperation { TargetMethod.Name: "Add", Arguments.Length: 1 } add && Append(add.Arguments[0].Value);
    }

    private bool Append(IOperation value)
    {
        if (items is null || items.Count >= MaxElements)
            return false;
        items.Add(value);
        return true;
    }

    private bool Set(long index, IOperation value)
    {
        if (items is null || index < 0 || index >= items.Count)
            return false;
        items[(int)index] = value;
        return true;
    }

    private bool For(IForLoopOperation loop)
    {
        var declared = new List<ILocalSymbol>();
        foreach (var declarator in loop.Before.OfType<IVariableDeclarationGroupOperation>().SelectMany(g => g.Declarations).SelectMany(d => d.Declarators))
        {
            if (declarator.GetVariableInitializer()?.Value is not { } start || Value(start) is not long value)
                return false;
            counters[declarator.Symbol] = value;
            declared.Add(declarator.Symbol);
        }
        if (declared.Count == 0 || loop.Before.Length != 1)
            return false;
        try
        {
            while (true)
            {
                if (loop.Condition is null || Condition(loop.Condition) is not bool holds)
                    return false;
                if (!holds)
                    return true;
                if (++iterations > MaxIterations || !Run(loop.Body) || !Advance(loop.AtLoopBottom))
                    return false;
            }
        }
        finally
        {
            foreach (var counter in declared)
                counters.Remove(counter);
        }
    }

    // i++, i--, i += c, i -= c on a counter.
    private bool Advance(IEnumerable<IOperation> bottom)
    {
        foreach (var operation in bottom)
        {
            var expression = operation is IExpressionStatementOperation statement ? statement.Operation : operation;
            switch (expression)
            {
                case IIncrementOrDecrementOperation { Target: ILocalReferenceOperation local } step when counters.ContainsKey(local.Local):
                    counters[local.Local] += step.Kind == OperationKind.Increment ? 1 : -1;
                    break;
                case ICompoundAssignmentOperation { Target: ILocalReferenceOperation local, OperatorKind: BinaryOperatorKind.Add or BinaryOperatorKind.Subtract } step
                    when counters.ContainsKey(local.Local) && Value(step.Value) is long by:
                    counters[local.Local] += step.OperatorKind == BinaryOperatorKind.Add ? by : -by;
                    break;
                default:
                    return false;
            }
        }
        return true;
    }

    // foreach over an array literal or Enumerable.Range(constant, constant): the body once per element.
    private bool ForEach(IForEachLoopOperation loop)
    {
        long? count = loop.Collection.WithoutConversions() switch
        {
            IArrayCreationOperation { Initializer: { } elements } => elements.ElementValues.Length,
            IInvocationOperation { TargetMethod.Name: "Range", TargetMethod.ContainingType.Name: "Enumerable", Arguments.Length: 2 } range => Value(range.Arguments[1].Value),
            _ => null,
        };
        if (count is not long times || times > MaxIterations)
            return false;
        for (long i = 0; i < times; i++)
        {
            if (++iterations > MaxIterations || !Run(loop.Body))
                return false;
        }
        return true;
    }

    private long? Value(IOperation operation)
    {
        operation = operation.WithoutConversions()!;
        if (operation.ConstantValue is { HasValue: true, Value: var constant })
            return constant is int or long or short or byte ? System.Convert.ToInt64(constant, System.Globalization.CultureInfo.InvariantCulture) : null;
        switch (operation)
        {
            case ILocalReferenceOperation local when counters.TryGetValue(local.Local, out long value):
                return value;
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Minus } negation when Value(negation.Operand) is long operand:
                return -operand;
            case IBinaryOperation binary when Value(binary.LeftOperand) is long left && Value(binary.RightOperand) is long right:
                return binary.OperatorKind switch
                {
                    BinaryOperatorKind.Add => left + right,
                    BinaryOperatorKind.Subtract => left - right,
                    BinaryOperatorKind.Multiply => left * right,
                    BinaryOperatorKind.Divide when right != 0 => left / right,
                    BinaryOperatorKind.Remainder when right != 0 => left % right,
                    _ => null,
                };
            default:
                return null;
        }
    }

    private bool? Condition(IOperation operation)
    {
        operation = operation.WithoutConversions()!;
        if (operation.ConstantValue is { HasValue: true, Value: bool constant })
            return constant;
        switch (operation)
        {
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not when Condition(not.Operand) is bool operand:
                return !operand;
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr } logical
                when Condition(logical.LeftOperand) is bool left && Condition(logical.RightOperand) is bool right:
                return logical.OperatorKind == BinaryOperatorKind.ConditionalAnd ? left && right : left || right;
            case IBinaryOperation comparison when Value(comparison.LeftOperand) is long left && Value(comparison.RightOperand) is long right:
                return comparison.OperatorKind switch
                {
                    BinaryOperatorKind.LessThan => left < right,
                    BinaryOperatorKind.LessThanOrEqual => left <= right,
                    BinaryOperatorKind.GreaterThan => left > right,
                    BinaryOperatorKind.GreaterThanOrEqual => left >= right,
                    BinaryOperatorKind.Equals => left == right,
                    BinaryOperatorKind.NotEquals => left != right,
                    _ => null,
                };
            default:
                return null;
        }
    }

    private bool Touches(IOperation operation) => operation.DescendantsAndSelf().Any(Refers);

    private bool Refers(IOperation? operation) => operation.WithoutConversions() switch
    {
        ILocalReferenceOperation local => SymbolEqualityComparer.Default.Equals(local.Local, target),
        var member => SymbolEqualityComparer.Default.Equals(member.MemberOfThis(), target),
    };
}
