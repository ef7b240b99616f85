using System;
using System.Linq;
using System.Reflection;
using GradientGuard.Analyzers.Infrastructure;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;

namespace GradientGuard.Analyzers.Tests;

/// <summary>
/// The Sequential bound counts a call of a name in <see cref="SequentialWeightBound.NoWeightFactories"/> as no weight
/// layer. That holds only while every torch.nn factory of that name builds something else: checked against TorchSharp.
/// </summary>
public sealed class SequentialWeightBoundTests
{
    [Fact]
    public void Every_factory_named_as_building_no_weight_layer_is_a_torch_nn_factory_of_another_kind()
    {
        var factories = typeof(torch.nn).GetMethods(BindingFlags.Public | BindingFlags.Static);
        foreach (string name in SequentialWeightBound.NoWeightFactories)
        {
            var overloads = factories.Where(m => m.Name == name).ToList();
            Assert.True(overloads.Count > 0, $"torch.nn has no {name}");
            foreach (var overload in overloads)
            {
                Type returned = overload.ReturnType;
                Assert.False(typeof(Linear).IsAssignableFrom(returned) || typeof(Convolution).IsAssignableFrom(returned) || typeof(Bilinear).IsAssignableFrom(returned),
                    $"torch.nn.{name} returns {returned.Name}, a weight layer");
            }
        }
    }
}
